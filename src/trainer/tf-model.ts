// A llama-family model's weights as tfjs tensors, read from GGUF.
// Projection weights are kept as [n_in, n_out] (ggml's ne order read as a row-major shape: the transpose of the
// GGUF row-major [n_out, n_in]), so every projection is a plain x·W, the fast case on wasm.

import * as tf from '@tensorflow/tfjs-core';
import { type BlockTensor, blockTensorName, neToShape, TENSOR } from '../gguf/llama.ts';
import { GgufFile } from '../gguf/reader.ts';
import { configFromGguf, type ModelConfig } from '../model/config.ts';
import { readTensorF32 } from '../model/weights.ts';

export interface TfLayer {
  readonly attnNorm: tf.Tensor1D;
  readonly wq: tf.Tensor2D;
  readonly wk: tf.Tensor2D;
  readonly wv: tf.Tensor2D;
  readonly wo: tf.Tensor2D;
  /** q/k/v biases (qwen2). */
  readonly bq?: tf.Tensor1D;
  readonly bk?: tf.Tensor1D;
  readonly bv?: tf.Tensor1D;
  readonly ffnNorm: tf.Tensor1D;
  readonly wGate: tf.Tensor2D;
  readonly wUp: tf.Tensor2D;
  readonly wDown: tf.Tensor2D;
}

export interface TfModel {
  readonly config: ModelConfig;
  /** [vocab, dim]: row t is token t's embedding. */
  readonly tokEmbd: tf.Tensor2D;
  readonly layers: readonly TfLayer[];
  readonly outputNorm: tf.Tensor1D;
  /** LM head [dim, vocab]; absent when the embeddings are tied (then the head is tokEmbd transposed). */
  readonly output?: tf.Tensor2D;
  readonly outputBias?: tf.Tensor1D;
}

/** One weight with its GGUF name; `transposed` says it is held as [n_in, n_out] rather than GGUF's row-major. */
export interface NamedWeight {
  readonly name: string;
  readonly tensor: tf.Tensor;
  readonly transposed: boolean;
}

const PROJECTIONS = {
  wq: 'attn_q',
  wk: 'attn_k',
  wv: 'attn_v',
  wo: 'attn_output',
  wGate: 'ffn_gate',
  wUp: 'ffn_up',
  wDown: 'ffn_down',
} as const satisfies Record<string, BlockTensor>;

export interface LoadTfModelOptions {
  /** Make every weight a trainable tf.Variable (full fine-tuning); otherwise they are constants. */
  readonly trainable?: boolean;
}

/** Reads every weight of a GGUF model into tfjs tensors on the current backend. */
export function loadTfModel(path: string, options: LoadTfModelOptions = {}): TfModel {
  const file = GgufFile.open(path);
  try {
    return readModel(file, options);
  } finally {
    file.close();
  }
}

function readModel(file: GgufFile, options: LoadTfModelOptions): TfModel {
  const path = file.path;
  const config = configFromGguf(
    file.metadata,
    file.tensors.map((t) => t.name),
    path,
  );
  const load = (name: string, transpose = false): tf.Tensor => {
    const data = readTensorF32(file, name);
    const t = tf.tidy(() => {
      const raw = tf.tensor(data, neToShape(file.tensor(name).ne));
      return transpose ? tf.transpose(raw) : raw;
    });
    if (!options.trainable) return t;
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  };
  const maybe = (name: string) => (file.has(name) ? (load(name) as tf.Tensor1D) : undefined);
  const layers: TfLayer[] = [];
  for (let i = 0; i < config.layers; i++) {
    const proj = (kind: BlockTensor) => load(blockTensorName(i, kind), true) as tf.Tensor2D;
    layers.push({
      attnNorm: load(blockTensorName(i, 'attn_norm')) as tf.Tensor1D,
      wq: proj(PROJECTIONS.wq),
      wk: proj(PROJECTIONS.wk),
      wv: proj(PROJECTIONS.wv),
      wo: proj(PROJECTIONS.wo),
      bq: maybe(blockTensorName(i, 'attn_q', 'bias')),
      bk: maybe(blockTensorName(i, 'attn_k', 'bias')),
      bv: maybe(blockTensorName(i, 'attn_v', 'bias')),
      ffnNorm: load(blockTensorName(i, 'ffn_norm')) as tf.Tensor1D,
      wGate: proj(PROJECTIONS.wGate),
      wUp: proj(PROJECTIONS.wUp),
      wDown: proj(PROJECTIONS.wDown),
    });
  }
  return {
    config,
    tokEmbd: load(TENSOR.tokenEmbd) as tf.Tensor2D,
    layers,
    outputNorm: load(TENSOR.outputNorm) as tf.Tensor1D,
    output: config.tiedEmbeddings ? undefined : (load(TENSOR.output, true) as tf.Tensor2D),
    outputBias: maybe('output.bias'),
  };
}

/** Every weight with its GGUF name, for optimizers, checkpoints and merged export. */
export function namedWeights(model: TfModel): NamedWeight[] {
  const out: NamedWeight[] = [{ name: TENSOR.tokenEmbd, tensor: model.tokEmbd, transposed: false }];
  model.layers.forEach((layer, i) => {
    out.push({ name: blockTensorName(i, 'attn_norm'), tensor: layer.attnNorm, transposed: false });
    for (const [key, kind] of Object.entries(PROJECTIONS)) {
      out.push({ name: blockTensorName(i, kind), tensor: layer[key as keyof typeof PROJECTIONS], transposed: true });
    }
    for (const [b, kind] of [
      [layer.bq, 'attn_q'],
      [layer.bk, 'attn_k'],
      [layer.bv, 'attn_v'],
    ] as const) {
      if (b) out.push({ name: blockTensorName(i, kind, 'bias'), tensor: b, transposed: false });
    }
    out.push({ name: blockTensorName(i, 'ffn_norm'), tensor: layer.ffnNorm, transposed: false });
  });
  out.push({ name: TENSOR.outputNorm, tensor: model.outputNorm, transposed: false });
  if (model.output) out.push({ name: TENSOR.output, tensor: model.output, transposed: true });
  if (model.outputBias) out.push({ name: 'output.bias', tensor: model.outputBias, transposed: false });
  return out;
}

export function disposeTfModel(model: TfModel): void {
  for (const w of namedWeights(model)) w.tensor.dispose();
}
