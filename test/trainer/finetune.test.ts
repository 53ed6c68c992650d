// Acceptance tests for `finetune`: a tiny init-model model trained on a tiny chat set, judged by llama.cpp.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GgmlType, GgufValueType } from '../../src/gguf/constants.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { chatEncoderFromGguf } from '../../src/model/chat-encoder.ts';
import { CHATML_TEMPLATE } from '../../src/model/chat-template.ts';
import { permuteRope } from '../../src/model/hf-names.ts';
import { SafetensorsFile } from '../../src/model/safetensors.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { loadChatData } from '../../src/trainer/data.ts';
import { type FinetuneOptions, finetune, type RunReport, type StepMetrics } from '../../src/trainer/finetune.ts';
import { tempDir } from '../helpers/temp.ts';
import { chatData, llamaHeldOutLoss, TINY, tinyModel } from './fixtures.ts';

const dir = tempDir('meetara-finetune-');

let base: string;
let data: { train: string; held: string };
beforeAll(async () => {
  base = await tinyModel(dir);
  data = chatData(dir);
});

const quiet = () => {};
const common = (out: string): FinetuneOptions => ({
  base,
  data: data.train,
  out: join(dir, out),
  seqLen: 64,
  lr: 5e-3,
  warmup: 0.1,
  workers: 1,
  log: quiet,
});

const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StepMetrics);

describe('fine-tuning a tiny model, judged by llama.cpp', () => {
  let run: RunReport;
  let out: string;
  let held: ReturnType<typeof loadChatData>;

  beforeAll(async () => {
    run = await finetune({
      ...common('main'),
      eval: data.held,
      backend: 'wasm',
      steps: 30,
      batch: 4,
      gradAccum: 2,
      evalEvery: 10,
      checkpointEvery: 10,
    });
    out = join(dir, 'main');
    held = loadChatData(data.held, chatEncoderFromGguf(base), 64);
  });

  it('the held-out loss falls, and starts where llama.cpp says the base model is', async () => {
    expect(run.finalEvalLoss!).toBeLessThan(run.initialEvalLoss! - 0.3);
    const baseLoss = await llamaHeldOutLoss(base, held.samples);
    expect(run.initialEvalLoss!).toBeCloseTo(baseLoss.loss, 3);
  });

  it('llama.cpp perplexity with adapter.gguf equals exp(our held-out loss) within 2%', async () => {
    const { loss } = await llamaHeldOutLoss(base, held.samples, [{ filePath: join(out, 'adapter.gguf') }]);
    expect(Math.abs(Math.exp(loss) / Math.exp(run.finalEvalLoss!) - 1)).toBeLessThan(0.02);
  });

  it('merged.gguf (F16) gives the perplexity of base + adapter within 1%, with the base metadata and chat template', async () => {
    const withAdapter = await llamaHeldOutLoss(base, held.samples, [{ filePath: join(out, 'adapter.gguf') }]);
    const merged = await llamaHeldOutLoss(join(out, 'merged.gguf'), held.samples);
    expect(Math.abs(Math.exp(merged.loss) / Math.exp(withAdapter.loss) - 1)).toBeLessThan(0.01);
    const g = GgufFile.open(join(out, 'merged.gguf'));
    const b = GgufFile.open(base);
    try {
      expect(g.metadata.get('general.architecture')?.value).toBe('llama');
      expect(g.metadata.get('tokenizer.chat_template')?.value).toBe(CHATML_TEMPLATE);
      expect(g.metadata.get('tokenizer.ggml.tokens')).toEqual(b.metadata.get('tokenizer.ggml.tokens'));
      expect(g.metadata.get('general.file_type')?.value).toBe(1);
      expect(g.tensor('blk.0.attn_q.weight').type).toBe(GgmlType.F16);
      expect(g.tensor('blk.0.attn_norm.weight').type).toBe(GgmlType.F32);
    } finally {
      g.close();
      b.close();
    }
  });

  it('the adapter at scale 0 gives exactly the base model’s results', async () => {
    const baseRun = await llamaHeldOutLoss(base, held.samples);
    const scale0 = await llamaHeldOutLoss(base, held.samples, [{ filePath: join(out, 'adapter.gguf'), scale: 0 }]);
    expect(scale0.dists).toEqual(baseRun.dists);
  });

  it('adapter.gguf is llama.cpp’s LoRA format', () => {
    const a = GgufFile.open(join(out, 'adapter.gguf'));
    try {
      expect(a.metadata.get('general.type')?.value).toBe('adapter');
      expect(a.metadata.get('adapter.type')?.value).toBe('lora');
      expect(a.metadata.get('adapter.lora.alpha')).toEqual({ type: GgufValueType.FLOAT32, value: 16 });
      expect(a.metadata.get('general.architecture')?.value).toBe('llama');
      expect(a.tensor('blk.1.attn_q.weight.lora_a').ne).toEqual([TINY.dim, 8]);
      expect(a.tensor('blk.1.ffn_down.weight.lora_b').ne).toEqual([8, TINY.dim]);
      expect(a.tensors).toHaveLength(TINY.layers * 7 * 2);
    } finally {
      a.close();
    }
  });

  it('the PEFT adapter, applied in HF layout, reproduces the merged weights (q/k rows un-permuted)', () => {
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, task_type: 'CAUSAL_LM' });
    expect(config.target_modules).toEqual([
      'q_proj',
      'k_proj',
      'v_proj',
      'o_proj',
      'gate_proj',
      'up_proj',
      'down_proj',
    ]);
    const peft = SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
    const merged = GgufFile.open(join(out, 'merged.gguf'));
    const b = GgufFile.open(base);
    try {
      const f32 = (bytes: Uint8Array) => new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      for (const [module, tensor, heads] of [
        ['self_attn.q_proj', 'attn_q', TINY.heads],
        ['self_attn.k_proj', 'attn_k', TINY.kvHeads],
        ['mlp.up_proj', 'ffn_up', 0],
      ] as const) {
        const prefix = `base_model.model.model.layers.1.${module}`;
        const A = f32(peft.readBytes(`${prefix}.lora_A.weight`));
        const B = f32(peft.readBytes(`${prefix}.lora_B.weight`));
        const [r, nIn] = peft.tensor(`${prefix}.lora_A.weight`).shape;
        const nOut = peft.tensor(`${prefix}.lora_B.weight`).shape[0];
        const toHf = (w: Float32Array) => (heads ? permuteRope(w, heads, nIn, 'hf') : w);
        const wBase = toHf(readTensorF32(b, `blk.1.${tensor}.weight`).slice());
        const wMerged = toHf(readTensorF32(merged, `blk.1.${tensor}.weight`));
        let maxErr = 0;
        let maxDelta = 0;
        for (let o = 0; o < nOut; o++) {
          for (let i = 0; i < nIn; i++) {
            let d = 0;
            for (let k = 0; k < r; k++) d += B[o * r + k] * A[k * nIn + i];
            const w = wBase[o * nIn + i] + (16 / 8) * d;
            maxErr = Math.max(maxErr, Math.abs(w - wMerged[o * nIn + i]));
            maxDelta = Math.max(maxDelta, Math.abs(d));
          }
        }
        expect(maxDelta).toBeGreaterThan(1e-3); // the adapter learned something here
        expect(maxErr).toBeLessThan(1e-4); // F16 rounding of ~0.05-sized weights
      }
    } finally {
      peft.close();
      merged.close();
      b.close();
    }
  });

  it('run.json and metrics.jsonl hold measured numbers for every step', () => {
    const saved = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunReport;
    expect(saved).toEqual(JSON.parse(JSON.stringify(run)));
    expect(run.device.backend).toBe('wasm');
    expect(run.device.gpu).toBeNull();
    expect(run.steps).toBe(30);
    expect(run.tokensPerSecond).toBeGreaterThan(0);
    expect(run.gflopsPerSecond).toBeGreaterThan(0);
    expect(run.trainSeconds).toBeLessThan(run.wallSeconds);
    expect(run.trainedTokens).toBe(readJsonl(join(out, 'metrics.jsonl')).reduce((s, m) => s + m.tokens, 0));
    const lines = readJsonl(join(out, 'metrics.jsonl'));
    expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(lines.filter((l) => l.evalLoss !== undefined).map((l) => l.step)).toEqual([10, 20, 30]);
    expect(lines.at(-1)?.evalLoss).toBe(run.finalEvalLoss);
    expect(lines.at(-1)?.loss).toBe(run.finalTrainLoss);
  });
});

describe('resume', () => {
  it('20 steps straight give the same adapter bytes as a run SIGKILLed after step 10 and resumed (cpu)', async () => {
    const opts = {
      ...common('straight'),
      backend: 'cpu' as const,
      steps: 20,
      batch: 1,
      gradAccum: 1,
      checkpointEvery: 5,
    };
    await finetune(opts);

    // The same run from the command line, killed with SIGKILL as soon as it has finished step 10.
    const killed = join(dir, 'killed');
    // biome-ignore format: one option per line reads best
    const args = [
      'finetune', '--base', base, '--data', data.train, '--out', killed, '--backend', 'cpu', '--workers', '1',
      '--seq-len', '64', '--lr', '0.005', '--warmup', '0.1', '--steps', '20', '--batch', '1', '--grad-accum', '1',
      '--checkpoint-every', '5',
    ];
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'meetara.js');
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, MEETARA_QUIET: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    const metrics = join(killed, 'metrics.jsonl');
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (child.exitCode !== null) break;
      const done = existsSync(metrics) ? readFileSync(metrics, 'utf8').trim().split('\n').length : 0;
      if (done >= 10) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(killed, 'adapter.gguf'))).toBe(false);
    // (A kill during an append can leave a partial last line; resume drops it.)
    const stoppedAt = readFileSync(metrics, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('}')).length;
    expect(stoppedAt).toBeLessThan(20);

    const resumed = await finetune({ out: killed, resume: true, backend: 'cpu', workers: 1, log: quiet });
    // From the last checkpoint that was complete when the kill came (every 5 steps).
    const from = resumed.resumedFromStep ?? 0;
    expect(from % 5).toBe(0);
    expect(from).toBeGreaterThanOrEqual(5);
    expect(from).toBeLessThanOrEqual(stoppedAt);
    expect(resumed.steps).toBe(20);
    for (const f of ['adapter.gguf', 'adapter_model.safetensors', 'merged.gguf']) {
      expect(readFileSync(join(killed, f)).equals(readFileSync(join(dir, 'straight', f))), f).toBe(true);
    }
    // The final checkpoints hold the same weights and AdamW moments (their timing metadata differs).
    const a = SafetensorsFile.open(join(killed, 'checkpoint.safetensors'));
    const b = SafetensorsFile.open(join(dir, 'straight', 'checkpoint.safetensors'));
    try {
      expect(a.tensors.map((t) => t.name)).toEqual(b.tensors.map((t) => t.name));
      for (const t of a.tensors)
        expect(Buffer.from(a.readBytes(t.name)).equals(b.readBytes(t.name)), t.name).toBe(true);
    } finally {
      a.close();
      b.close();
    }
    // Steps after the last checkpoint were dropped from the metrics and run again: each step appears once.
    expect(readJsonl(metrics).map((l) => l.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('OOM recovery inside training', () => {
  it('a real allocation failure in a micro-batch halves it, redoes the step, and trains the same model', async () => {
    const opts = { ...common('clean'), backend: 'wasm' as const, steps: 6, batch: 4, gradAccum: 2 };
    const clean = await finetune(opts);
    let failed = false;
    const recovered = await finetune({
      ...opts,
      out: join(dir, 'oom'),
      beforeMicroBatch: (step, rows, index) => {
        if (step === 2 && rows === 4 && index === 1 && !failed) {
          failed = true;
          new ArrayBuffer(2 ** 40); // V8 cannot allocate 1 TiB: RangeError "Array buffer allocation failed"
        }
      },
    });
    expect(failed).toBe(true);
    expect(recovered.batch.oomRecoveries).toBe(1);
    expect(recovered.steps).toBe(clean.steps);
    const lines = readJsonl(join(dir, 'oom', 'metrics.jsonl'));
    expect(lines.map((l) => [l.microBatch, l.gradAccum])).toEqual([
      [4, 2],
      [4, 2],
      [2, 4],
      [2, 4],
      [2, 4],
      [2, 4],
    ]);
    // Same rows, same updates; only the grouping of the gradient sums differs.
    expectAdaptersClose('clean', 'oom');
    expect(Math.abs(recovered.finalTrainLoss - clean.finalTrainLoss)).toBeLessThan(1e-4);
  });
});

/** Every PEFT adapter value of run `x` is within 1e-5 of run `y`'s. */
function expectAdaptersClose(x: string, y: string): void {
  const a = SafetensorsFile.open(join(dir, x, 'adapter_model.safetensors'));
  const b = SafetensorsFile.open(join(dir, y, 'adapter_model.safetensors'));
  try {
    for (const t of a.tensors) {
      const xs = new Float32Array(a.readBytes(t.name).buffer);
      const ys = new Float32Array(b.readBytes(t.name).buffer);
      for (let i = 0; i < xs.length; i++) expect(Math.abs(xs[i] - ys[i])).toBeLessThan(1e-5);
    }
  } finally {
    a.close();
    b.close();
  }
}

describe('data-parallel workers', () => {
  it('2 wasm workers train the same model as one process', async () => {
    const opts = { ...common('one'), backend: 'wasm' as const, steps: 4, batch: 2, gradAccum: 2 };
    const one = await finetune(opts);
    const two = await finetune({ ...opts, out: join(dir, 'two'), workers: 2 });
    expect(two.device.workers).toBe(2);
    expect(two.batch.rowsPerStep).toBe(one.batch.rowsPerStep);
    expect(Math.abs(two.finalTrainLoss - one.finalTrainLoss)).toBeLessThan(1e-4);
    expectAdaptersClose('one', 'two');
  });
});

describe('full fine-tuning', () => {
  it('--full trains every weight; llama.cpp on merged.gguf (F32) agrees with our held-out loss within 2%', async () => {
    const run = await finetune({
      ...common('full'),
      eval: data.held,
      backend: 'wasm',
      full: true,
      lr: 1e-3,
      steps: 4,
      batch: 4,
      gradAccum: 1,
      mergedType: 'F32',
    });
    expect(run.outputs.adapter).toBeUndefined();
    expect(run.finalEvalLoss!).toBeLessThan(run.initialEvalLoss!);
    const held = loadChatData(data.held, chatEncoderFromGguf(base), 64);
    const { loss } = await llamaHeldOutLoss(join(dir, 'full', 'merged.gguf'), held.samples);
    expect(Math.abs(Math.exp(loss) / Math.exp(run.finalEvalLoss!) - 1)).toBeLessThan(0.02);
  });
});
