// GGUF -> HF checkpoint folder (the inverse of convert): config.json, model.safetensors with HF tensor names and
// q/k rows permuted back to HF's layout, and the tokenizer files. F16/BF16 tensors keep their type; everything
// else is written as F32 (quantized tensors are dequantized).

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { GgmlType } from '../gguf/constants.ts';
import { llamaTensorLayout, neToShape } from '../gguf/llama.ts';
import { GgufFile } from '../gguf/reader.ts';
import { quantize } from '../quant/codecs.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { startProgress } from '../util/progress.ts';
import { configFromGguf, hfConfigFromModelConfig, type ModelConfig } from './config.ts';
import { hfTensorName, permuteRope, ropePermuteHeads } from './hf-names.ts';
import { writeHfTokenizer } from './hf-tokenizer.ts';
import { type SafetensorsDtype, type SafetensorsToWrite, writeSafetensors } from './safetensors.ts';
import { readTensorF32 } from './weights.ts';

export interface ExportHfResult {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly tensors: number;
}

const DTYPE_OF: Partial<Record<GgmlType, SafetensorsDtype>> = { [GgmlType.F16]: 'F16', [GgmlType.BF16]: 'BF16' };

export async function exportHf(ggufPath: string, hfDir: string): Promise<ExportHfResult> {
  const file = GgufFile.open(ggufPath);
  try {
    const cfg = configFromGguf(
      file.metadata,
      file.tensors.map((t) => t.name),
      ggufPath,
    );
    const layout = llamaTensorLayout(cfg);
    for (const t of layout) {
      if (!file.has(t.name)) throw new InputError(`${ggufPath}: tensor '${t.name}' is missing`);
    }
    await mkdir(hfDir, { recursive: true });
    const totalBytes = file.tensors.reduce((sum, t) => sum + t.nBytes, 0);
    const progress =
      totalBytes > 200e6 ? startProgress({ label: 'export', total: layout.length, unit: 'tensors' }) : undefined;
    const tensors: SafetensorsToWrite[] = layout.map((t, i) => {
      const dtype = DTYPE_OF[file.tensor(t.name).type] ?? 'F32';
      return {
        name: hfTensorName(t.name)!,
        dtype,
        shape: neToShape(t.ne),
        data: () => {
          let x = readTensorF32(file, t.name);
          const heads = ropePermuteHeads(cfg.arch, t.name, cfg.heads, cfg.kvHeads);
          if (heads > 0) x = permuteRope(x, heads, t.ne.length > 1 ? t.ne[0] : 1, 'hf');
          progress?.update(i + 1, t.name);
          return dtype === 'F32' ? x : quantize(dtype === 'F16' ? GgmlType.F16 : GgmlType.BF16, x);
        },
      };
    });
    await writeSafetensors(join(hfDir, 'model.safetensors'), tensors, { format: 'pt' });
    progress?.stop();

    const ids = await writeHfTokenizer(hfDir, file.metadata);
    const hfConfig = hfConfigFromModelConfig(cfg);
    const dtypes = new Set(tensors.filter((t) => t.shape.length > 1).map((t) => t.dtype));
    if (dtypes.size === 1) hfConfig.torch_dtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[[...dtypes][0]];
    if (ids.bos !== undefined) hfConfig.bos_token_id = ids.bos;
    if (ids.eos !== undefined) hfConfig.eos_token_id = ids.eos;
    await writeFileAtomic(join(hfDir, 'config.json'), `${JSON.stringify(hfConfig, null, 2)}\n`);
    return { dir: hfDir, config: cfg, tensors: tensors.length };
  } finally {
    file.close();
  }
}
