// ModelConfig: everything the forward pass needs to know about a llama-family model, read from GGUF metadata.
// Unsupported architectures and features are refused by name.

import { InputError } from '../errors.ts';
import { GgufValueType } from '../gguf/constants.ts';
import { type LlamaArch, type LlamaHParams, SUPPORTED_ARCHS, TENSOR } from '../gguf/llama.ts';
import { type GgufMetadata, getFloat, getInt, getString } from '../gguf/metadata.ts';

export interface RopeScaling {
  readonly type: 'linear';
  readonly factor: number;
}

export interface ModelConfig extends LlamaHParams {
  readonly headDim: number;
  /** NORM rope (adjacent pairs) for llama, NEOX rope (halves) for qwen2. */
  readonly ropeType: 'norm' | 'neox';
  readonly ropeScaling?: RopeScaling;
  /** q/k/v projections carry biases (qwen2). */
  readonly qkvBias: boolean;
}

export function isSupportedArch(arch: string): arch is LlamaArch {
  return (SUPPORTED_ARCHS as readonly string[]).includes(arch);
}

export function assertSupportedArch(arch: string, where: string): asserts arch is LlamaArch {
  if (!isSupportedArch(arch)) {
    throw new InputError(
      `${where}: architecture '${arch}' is not supported yet (supported: ${SUPPORTED_ARCHS.join(', ')})`,
    );
  }
}

/** Completes hyperparameters into a ModelConfig (derived fields follow llama.cpp's choices per architecture). */
export function configFromHParams(h: LlamaHParams, ropeScaling?: RopeScaling): ModelConfig {
  return {
    ...h,
    headDim: h.dim / h.heads,
    ropeType: h.arch === 'qwen2' ? 'neox' : 'norm',
    qkvBias: h.arch === 'qwen2',
    ...(ropeScaling ? { ropeScaling } : {}),
  };
}

/** Reads the model config from GGUF metadata; `hasOutput` tells whether output.weight exists (else tied). */
export function configFromGguf(md: GgufMetadata, tensorNames: Iterable<string>, where = 'model'): ModelConfig {
  const arch = getString(md, 'general.architecture');
  assertSupportedArch(arch, where);
  const a = (k: string) => `${arch}.${k}`;
  const names = new Set(tensorNames);
  const tokens = md.get('tokenizer.ggml.tokens');
  const vocabSize = md.has(a('vocab_size'))
    ? getInt(md, a('vocab_size'))
    : tokens?.type === GgufValueType.ARRAY
      ? tokens.value.length
      : 0;
  const heads = getInt(md, a('attention.head_count'));
  const h: LlamaHParams = {
    arch,
    vocabSize,
    dim: getInt(md, a('embedding_length')),
    layers: getInt(md, a('block_count')),
    heads,
    kvHeads: md.has(a('attention.head_count_kv')) ? getInt(md, a('attention.head_count_kv')) : heads,
    ffn: getInt(md, a('feed_forward_length')),
    contextLength: getInt(md, a('context_length')),
    ropeFreqBase: md.has(a('rope.freq_base')) ? getFloat(md, a('rope.freq_base')) : 10_000,
    rmsNormEps: getFloat(md, a('attention.layer_norm_rms_epsilon')),
    tiedEmbeddings: !names.has(TENSOR.output),
  };
  let ropeScaling: RopeScaling | undefined;
  // As llama.cpp: the type defaults to linear, the factor may sit under the older rope.scale_linear key, and
  // type 'none' never scales.
  const scalingType = md.has(a('rope.scaling.type')) ? getString(md, a('rope.scaling.type')) : 'linear';
  const factorKey = [a('rope.scaling.factor'), a('rope.scale_linear')].find((k) => md.has(k));
  const factor = factorKey ? getFloat(md, factorKey) : 0;
  if (scalingType === 'linear') {
    if (factor !== 0 && factor !== 1) ropeScaling = { type: 'linear', factor };
  } else if (scalingType !== 'none') {
    throw new InputError(`${where}: rope scaling '${scalingType}' is not supported yet (supported: none, linear)`);
  }
  return configFromHParams(h, ropeScaling);
}

/** HF `model_type` values we load, and the llama.cpp architecture each becomes (Mistral is llama-shaped). */
const HF_MODEL_TYPES: Record<string, LlamaArch> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2' };

/**
 * Reads the model config from an HF `config.json` (parsed). `where` is the file path, used in every error.
 * Fields llama.cpp's converter would ignore silently but that change the network (biases, other activations,
 * rope kinds) are refused by name.
 */
export function configFromHfConfig(json: unknown, where = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(`${where}: must be a JSON object`);
  }
  const c = json as Record<string, unknown>;
  const modelType = c.model_type;
  if (typeof modelType !== 'string') throw new InputError(`${where}: field 'model_type' is missing or not a string`);
  const arch = HF_MODEL_TYPES[modelType];
  if (!arch) assertSupportedArch(modelType, `${where}: field 'model_type'`);
  const int = (field: string, fallback?: number): number => {
    const v = c[field] ?? fallback;
    if (v === undefined) throw new InputError(`${where}: field '${field}' is missing (needed for ${modelType})`);
    if (!Number.isSafeInteger(v) || (v as number) <= 0) {
      throw new InputError(`${where}: field '${field}' must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const num = (field: string, fallback?: number): number => {
    const v = c[field] ?? fallback;
    if (v === undefined) throw new InputError(`${where}: field '${field}' is missing (needed for ${modelType})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new InputError(`${where}: field '${field}' must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const refuseTrue = (field: string, what: string) => {
    if (c[field] === true) throw new InputError(`${where}: field '${field}' is true; ${what} is not supported yet`);
  };

  const heads = int('num_attention_heads');
  const dim = int('hidden_size');
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') {
    throw new InputError(`${where}: field 'hidden_act' is '${c.hidden_act}'; only 'silu' (SwiGLU) is supported`);
  }
  if (c.head_dim != null && c.head_dim !== dim / heads) {
    throw new InputError(
      `${where}: field 'head_dim' is ${c.head_dim}, but only hidden_size/num_attention_heads (${dim / heads}) is supported`,
    );
  }
  if (arch === 'llama') refuseTrue('attention_bias', 'a llama model with attention biases');
  refuseTrue('mlp_bias', 'a model with MLP biases');

  // Newer transformers nest rope settings in `rope_parameters`; older ones use rope_theta and rope_scaling.
  const ropeParams = c.rope_parameters as Record<string, unknown> | undefined;
  const scaling = (c.rope_scaling ?? ropeParams ?? null) as Record<string, unknown> | null;
  let ropeScaling: RopeScaling | undefined;
  if (scaling !== null) {
    const kind = scaling.rope_type ?? scaling.type ?? 'default';
    const field = c.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
    if (kind === 'linear') {
      const factor = scaling.factor;
      if (typeof factor !== 'number' || !(factor > 0)) {
        throw new InputError(`${where}: field '${field}.factor' must be a positive number for linear rope scaling`);
      }
      ropeScaling = { type: 'linear', factor };
    } else if (kind !== 'default') {
      throw new InputError(
        `${where}: field '${field}' has rope scaling '${kind}', which is not supported yet (supported: none, linear)`,
      );
    }
  }
  const ropeTheta = ropeParams?.rope_theta ?? c.rope_theta;
  const h: LlamaHParams = {
    arch: arch ?? 'llama',
    vocabSize: int('vocab_size'),
    dim,
    layers: int('num_hidden_layers'),
    heads,
    kvHeads: int('num_key_value_heads', heads),
    ffn: int('intermediate_size'),
    contextLength: int('max_position_embeddings'),
    ropeFreqBase: typeof ropeTheta === 'number' ? ropeTheta : num('rope_theta', 10_000),
    rmsNormEps: num('rms_norm_eps'),
    tiedEmbeddings: c.tie_word_embeddings === true,
  };
  if (h.heads % h.kvHeads !== 0) {
    throw new InputError(
      `${where}: field 'num_key_value_heads' (${h.kvHeads}) must divide num_attention_heads (${h.heads})`,
    );
  }
  if (h.dim % h.heads !== 0 || (h.dim / h.heads) % 2 !== 0) {
    throw new InputError(
      `${where}: field 'hidden_size' (${dim}) must split into an even head size over ${heads} heads`,
    );
  }
  return configFromHParams(h, ropeScaling);
}

/** The HF `config.json` for a model config (the inverse of configFromHfConfig). */
export function hfConfigFromModelConfig(cfg: ModelConfig): Record<string, unknown> {
  const isQwen = cfg.arch === 'qwen2';
  return {
    architectures: [isQwen ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: cfg.arch,
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.dim,
    intermediate_size: cfg.ffn,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    num_key_value_heads: cfg.kvHeads,
    max_position_embeddings: cfg.contextLength,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeFreqBase,
    rope_scaling: cfg.ropeScaling ? { type: 'linear', rope_type: 'linear', factor: cfg.ropeScaling.factor } : null,
    tie_word_embeddings: cfg.tiedEmbeddings,
    hidden_act: 'silu',
    ...(isQwen ? { use_sliding_window: false } : { attention_bias: false, mlp_bias: false }),
    torch_dtype: 'float32',
  };
}
