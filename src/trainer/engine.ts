// One replica of the model that turns a micro-batch into gradients. The trainer runs one in-process; each
// data-parallel worker runs its own. Trainable values come in and gradients go out as plain Float32Arrays in a
// fixed order, so replicas, the optimizer and checkpoints all agree on layout without sharing tfjs state.

import * as tf from '@tensorflow/tfjs-core';
import { forward } from './forward.ts';
import { registerForwardGradients } from './gradients.ts';
import { createLora, disposeLora, LORA_TARGETS, type LoraParams, type LoraTarget, loraVariables } from './lora.ts';
import { crossEntropySum } from './loss.ts';
import type { Batch } from './packing.ts';
import { disposeTfModel, loadTfModel, namedWeights, type TfModel } from './tf-model.ts';

export interface EngineSpec {
  /** Base model GGUF. */
  readonly base: string;
  /** Train all weights instead of LoRA. */
  readonly full: boolean;
  readonly rank: number;
  readonly alpha: number;
  readonly targets: readonly LoraTarget[];
  readonly seed: number;
}

/** A trainable tensor's name and row-major shape, in the order values and gradients travel. */
export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface GradResult {
  /** Gradients of the summed loss, one per parameter. */
  readonly grads: Float32Array[];
  readonly lossSum: number;
  readonly lossTokens: number;
}

export class GradEngine {
  readonly model: TfModel;
  readonly lora: LoraParams | undefined;
  readonly params: ParamInfo[];
  private readonly variables: tf.Variable[];

  /** Loads the base model onto the current backend and creates the trainable parameters. */
  static async create(spec: EngineSpec): Promise<GradEngine> {
    registerForwardGradients();
    return new GradEngine(spec);
  }

  private constructor(readonly spec: EngineSpec) {
    this.model = loadTfModel(spec.base, { trainable: spec.full });
    if (spec.full) {
      const weights = namedWeights(this.model);
      this.variables = weights.map((w) => w.tensor as tf.Variable);
      this.params = weights.map((w) => ({ name: w.name, shape: w.tensor.shape }));
    } else {
      this.lora = createLora(this.model.config, {
        rank: spec.rank,
        alpha: spec.alpha,
        targets: spec.targets,
        seed: spec.seed,
      });
      this.variables = loraVariables(this.lora);
      // Same order as loraVariables: layer, then LORA_TARGETS order, A before B.
      this.params = this.lora.layers.flatMap((layer, i) =>
        LORA_TARGETS.flatMap((t) => {
          const pair = layer[t];
          if (!pair) return [];
          return [
            { name: `blk.${i}.${t}.lora_a`, shape: pair.a.shape },
            { name: `blk.${i}.${t}.lora_b`, shape: pair.b.shape },
          ];
        }),
      );
    }
  }

  /** Current trainable values (copies). */
  values(): Float32Array[] {
    return this.variables.map((v) => v.dataSync().slice() as Float32Array);
  }

  setValues(values: readonly Float32Array[]): void {
    this.variables.forEach((v, k) => {
      tf.tidy(() => v.assign(tf.tensor(values[k], v.shape)));
    });
  }

  private loss(b: Batch): tf.Scalar {
    const logits = forward(
      this.model,
      { tokens: b.tokens, batch: b.rows, seqLen: b.seqLen, segments: b.segments },
      { lora: this.lora },
    );
    return crossEntropySum(logits, b.labels);
  }

  /** Forward and backward on one micro-batch. */
  grads(b: Batch): GradResult {
    const { value, grads } = tf.variableGrads(() => this.loss(b), this.variables);
    try {
      return {
        grads: this.variables.map((v) => grads[v.name].dataSync() as Float32Array),
        lossSum: value.dataSync()[0],
        lossTokens: b.lossTokens,
      };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  /** Summed loss without gradients (held-out evaluation). */
  evalLoss(b: Batch): { lossSum: number; lossTokens: number } {
    const lossSum = tf.tidy(() => this.loss(b).dataSync()[0]);
    return { lossSum, lossTokens: b.lossTokens };
  }

  dispose(): void {
    if (this.lora) disposeLora(this.lora);
    disposeTfModel(this.model);
  }
}
