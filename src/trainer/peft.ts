// HF PEFT export: adapter_model.safetensors + adapter_config.json, so the adapter loads with
// `PeftModel.from_pretrained`. Our LoRA B matrices are in llama.cpp's row order; for the llama architecture, q and
// k rows were permuted at conversion (adjacent-pair RoPE), so B's rows go back to HF's rotate-half order here
// (src/model/hf-names.ts does the same for the base weights). A's columns index the input, which is not permuted.

import { join } from 'node:path';
import { blockTensorName } from '../gguf/llama.ts';
import type { ModelConfig } from '../model/config.ts';
import { hfTensorName, permuteRope, ropePermuteHeads } from '../model/hf-names.ts';
import { type SafetensorsToWrite, writeSafetensors } from '../model/safetensors.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { LORA_TARGET_TENSOR, type LoraSlot, type LoraTarget } from './lora.ts';

export interface LoraMatrices extends LoraSlot {
  /** [rank, nIn] row-major (PEFT lora_A). */
  readonly a: Float32Array;
  /** [nOut, rank] row-major (PEFT lora_B), rows in llama.cpp's order. */
  readonly b: Float32Array;
}

export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
export const PEFT_CONFIG_FILE = 'adapter_config.json';

export interface PeftExportOptions {
  readonly config: ModelConfig;
  readonly rank: number;
  readonly alpha: number;
  readonly targets: readonly LoraTarget[];
  /** Written as base_model_name_or_path (the base model's general.name). */
  readonly baseModel: string;
}

/** `model.layers.N.self_attn.q_proj` for a layer and target. */
function hfModule(layer: number, target: LoraTarget): string {
  return hfTensorName(blockTensorName(layer, LORA_TARGET_TENSOR[target]))!.replace(/\.weight$/, '');
}

/** The two safetensors entries of one LoRA pair, without data: lora_A [rank, nIn] and lora_B [nOut, rank], F32. */
export function peftTensorInfos(l: LoraSlot, rank: number): [PeftTensorInfo, PeftTensorInfo] {
  const prefix = `base_model.model.${hfModule(l.layer, l.target)}`;
  return [
    { name: `${prefix}.lora_A.weight`, dtype: 'F32', shape: [rank, l.nIn] },
    { name: `${prefix}.lora_B.weight`, dtype: 'F32', shape: [l.nOut, rank] },
  ];
}

export type PeftTensorInfo = Omit<SafetensorsToWrite, 'data'>;

/** The safetensors metadata of adapter_model.safetensors. */
export const PEFT_SAFETENSORS_METADATA: Readonly<Record<string, string>> = { format: 'pt' };

/** The text of adapter_config.json. */
export function peftConfigText(o: Omit<PeftExportOptions, 'config'>): string {
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: o.baseModel,
    r: o.rank,
    lora_alpha: o.alpha,
    lora_dropout: 0,
    bias: 'none',
    target_modules: o.targets.map((t) => hfModule(0, t).split('.').pop()),
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
    use_dora: false,
  };
  return `${JSON.stringify(adapterConfig, null, 2)}\n`;
}

export async function writePeftAdapter(
  dir: string,
  loras: readonly LoraMatrices[],
  o: PeftExportOptions,
): Promise<void> {
  const { config } = o;
  const tensors = loras.flatMap((l): SafetensorsToWrite[] => {
    const ggufName = blockTensorName(l.layer, LORA_TARGET_TENSOR[l.target]);
    const heads = ropePermuteHeads(config.arch, ggufName, config.heads, config.kvHeads);
    const b = heads > 0 ? permuteRope(l.b, heads, o.rank, 'hf') : l.b;
    const [aInfo, bInfo] = peftTensorInfos(l, o.rank);
    return [
      { ...aInfo, data: l.a },
      { ...bInfo, data: b },
    ];
  });
  await writeSafetensors(join(dir, PEFT_WEIGHTS_FILE), tensors, { ...PEFT_SAFETENSORS_METADATA });
  await writeFileAtomic(join(dir, PEFT_CONFIG_FILE), peftConfigText(o));
}
