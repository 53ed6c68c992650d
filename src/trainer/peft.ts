// HF PEFT export: adapter_model.safetensors + adapter_config.json, so the adapter loads with
// `PeftModel.from_pretrained`. Our LoRA B matrices are in llama.cpp's row order; for the llama architecture, q and
// k rows were permuted at conversion (adjacent-pair RoPE), so B's rows go back to HF's rotate-half order here
// (src/model/hf-names.ts does the same for the base weights). A's columns index the input, which is not permuted.

import { join } from 'node:path';
import { blockTensorName } from '../gguf/llama.ts';
import type { ModelConfig } from '../model/config.ts';
import { hfTensorName, permuteRope, ropePermuteHeads } from '../model/hf-names.ts';
import { writeSafetensors } from '../model/safetensors.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { LORA_TARGET_TENSOR, type LoraTarget } from './lora.ts';

export interface LoraMatrices {
  readonly layer: number;
  readonly target: LoraTarget;
  /** [rank, nIn] row-major (PEFT lora_A). */
  readonly a: Float32Array;
  /** [nOut, rank] row-major (PEFT lora_B), rows in llama.cpp's order. */
  readonly b: Float32Array;
  readonly nIn: number;
  readonly nOut: number;
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

export async function writePeftAdapter(
  dir: string,
  loras: readonly LoraMatrices[],
  o: PeftExportOptions,
): Promise<void> {
  const { config } = o;
  const tensors = loras.flatMap((l) => {
    const prefix = `base_model.model.${hfModule(l.layer, l.target)}`;
    const ggufName = blockTensorName(l.layer, LORA_TARGET_TENSOR[l.target]);
    const heads = ropePermuteHeads(config.arch, ggufName, config.heads, config.kvHeads);
    const b = heads > 0 ? permuteRope(l.b, heads, o.rank, 'hf') : l.b;
    return [
      { name: `${prefix}.lora_A.weight`, dtype: 'F32' as const, shape: [o.rank, l.nIn], data: l.a },
      { name: `${prefix}.lora_B.weight`, dtype: 'F32' as const, shape: [l.nOut, o.rank], data: b },
    ];
  });
  await writeSafetensors(join(dir, PEFT_WEIGHTS_FILE), tensors, { format: 'pt' });
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
  await writeFileAtomic(join(dir, PEFT_CONFIG_FILE), `${JSON.stringify(adapterConfig, null, 2)}\n`);
}
