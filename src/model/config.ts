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
    throw new InputError(`${where}: architecture '${arch}' is not supported yet (supported: ${SUPPORTED_ARCHS.join(', ')})`);
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
  const scalingType = md.has(a('rope.scaling.type')) ? getString(md, a('rope.scaling.type')) : 'none';
  if (scalingType === 'linear') ropeScaling = { type: 'linear', factor: getFloat(md, a('rope.scaling.factor')) };
  else if (scalingType !== 'none') {
    throw new InputError(`${where}: rope scaling '${scalingType}' is not supported yet (supported: none, linear)`);
  }
  return configFromHParams(h, ropeScaling);
}
