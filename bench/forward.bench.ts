// Forward-pass tokens/s of our tfjs model on each backend, next to llama.cpp's prompt evaluation of the same GGUF.
// Model: llama, vocab 4096, dim 256, 4 layers, 8 heads, 4 kv heads, ffn 768, F32 (the trainer bench's config).
//   npx tsx bench/forward.bench.ts
// Rows:
//   prompt 1×512       one 512-token sequence, logits for the last position only: what llama.cpp's prompt eval does
//   training 4×128     four 128-token rows, logits at every position: the shape a training step runs

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Token } from 'node-llama-cpp';
import { createContext, loadModel } from '../src/eval/llama.ts';
import { initModel } from '../src/model/init-model.ts';
import { type BackendName, selectBackend } from '../src/trainer/backend.ts';
import { forward, hiddenStates, lmHead, type TokenBatch } from '../src/trainer/forward.ts';
import { disposeTfModel, loadTfModel, type TfModel } from '../src/trainer/tf-model.ts';
import { Rng } from '../src/util/random.ts';
import { measure, printTable, SMALL_LLAMA } from './harness.ts';

const CONFIG = SMALL_LLAMA;

function tokens(rows: number, seqLen: number): TokenBatch {
  const rng = new Rng(1);
  const ids = Int32Array.from({ length: rows * seqLen }, () => rng.nextU32() % CONFIG.vocabSize);
  return { tokens: ids, batch: rows, seqLen };
}

const prompt = tokens(1, 512);
const training = tokens(4, 128);

/** Runs the forward pass and waits for its result to be read back, so the time includes all the work. */
function promptEval(model: TfModel): void {
  tf.tidy(() => {
    const h = hiddenStates(model, prompt);
    lmHead(model, tf.slice(h, [prompt.seqLen - 1, 0], [1, -1])).dataSync();
  });
}

function trainingForward(model: TfModel): void {
  // A block body: tf.tidy walks whatever its callback returns looking for tensors, which for a 2M-entry typed
  // array takes seconds.
  tf.tidy(() => {
    forward(model, training).dataSync();
  });
}

async function llamaCppPromptEval(path: string, threads: number): Promise<number> {
  const model = await loadModel(path);
  const context = await createContext(model, { contextSize: 1024, batchSize: 512, threads });
  const sequence = context.getSequence();
  const ids = Array.from(prompt.tokens) as Token[];
  try {
    const [r] = await measure(
      {
        [`llama.cpp ${threads}`]: async () => {
          await sequence.clearHistory();
          await sequence.evaluateWithoutGeneratingNewTokens(ids);
        },
      },
      { iterations: 5 },
    );
    return r.meanMs;
  } finally {
    sequence.dispose();
    await context.dispose();
    await model.dispose();
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meetara-bench-forward-'));
  try {
    const path = join(dir, 'model.gguf');
    await initModel(path, { ...CONFIG, seed: 1 });
    const rows: (string | number)[][] = [];
    const tokPerS = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
    for (const backend of ['tensorflow', 'wasm', 'cpu'] as BackendName[]) {
      try {
        await selectBackend(backend);
      } catch (err) {
        rows.push([backend, 'not available', '-', (err as Error).message.slice(0, 60)]);
        continue;
      }
      const model = loadTfModel(path);
      promptEval(model); // warm-up: kernel setup and first-use allocations
      const iterations = backend === 'cpu' ? 1 : 5;
      const [p, t] = await measure(
        { prompt: () => promptEval(model), training: () => trainingForward(model) },
        { iterations },
      );
      rows.push([backend, 'prompt 1×512, last logits', p.meanMs.toFixed(0), tokPerS(512, p.meanMs)]);
      rows.push([backend, 'training 4×128, all logits', t.meanMs.toFixed(0), tokPerS(512, t.meanMs)]);
      disposeTfModel(model);
    }
    for (const threads of [2, 1]) {
      const ms = await llamaCppPromptEval(path, threads);
      rows.push([
        `llama.cpp (${threads} thread${threads > 1 ? 's' : ''})`,
        'prompt 1×512',
        ms.toFixed(0),
        tokPerS(512, ms),
      ]);
    }
    printTable(
      'Forward pass, llama 4×256, vocab 4096, 8 heads / 4 kv heads, ffn 768, F32 (mean over runs)',
      ['engine', 'work', 'ms', 'tokens/s'],
      rows,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
