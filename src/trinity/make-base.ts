// `meetara pretrain` (npm run make-base): the embedded tiny base model, made from scratch with the project's own
// tools, reproducibly from a seed:
//   1. corpus     generated conversations over all 62 domains (train situations only), rendered with ChatML
//   2. tokenizer  a 4,096-token byte-fallback BPE trained on the corpus (identical to llama.cpp's tokenization)
//   3. model      init-model (nanoGPT init), then finetune --full --loss-on all with data-parallel workers
//   4. ship       the F16 model with its chat template, into assets/base/
// The evaluation that goes into the model card (perplexity, transcripts, LoRA specialisation) is base-report.ts.
// The work folder keeps the corpus and the run, so an interrupted run resumes from its last checkpoint.

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { catalog } from '../data/catalog.ts';
import { generate } from '../data/generate.ts';
import { GgufFile } from '../gguf/reader.ts';
import { renderChat } from '../model/chat-template.ts';
import { initModel } from '../model/init-model.ts';
import { Tokenizer } from '../model/tokenizer/tokenizer.ts';
import { trainTokenizer } from '../model/tokenizer-train.ts';
import { hasCheckpoint } from '../trainer/checkpoint.ts';
import { finetune, METRICS_FILE, type RunReport } from '../trainer/finetune.ts';
import { writeJsonAtomic, writeJsonlAtomic } from '../util/atomic-file.ts';
import { Rng } from '../util/random.ts';

/**
 * The shipped base: about 3.2M parameters (dim 192, 4 layers, 6 heads of 32, 3 KV heads, ffn 512, vocab 4,096),
 * sized so make-base trains it in under an hour on 2 cores.
 */
export const TINY_CONFIG = {
  arch: 'llama',
  vocabSize: 4096,
  dim: 192,
  layers: 4,
  heads: 6,
  kvHeads: 3,
  ffn: 512,
  contextLength: 512,
} as const;

export const BASE_FILE = 'meetara-tiny.gguf';
export const BASE_RECORD = 'base.json';
export const DEFAULT_BASE = new URL(`../../assets/base/${BASE_FILE}`, import.meta.url).pathname;

export interface PretrainOptions {
  /** Where the model and its card go (assets/base/). */
  readonly out: string;
  /** Corpus, tokenizer and training run (kept for --resume; not committed). */
  readonly work: string;
  readonly seed?: number;
  /** Training conversations per domain in the corpus. */
  readonly samplesPerDomain?: number;
  /** Held-out conversations per domain (held-out situations only). */
  readonly heldoutPerDomain?: number;
  readonly steps?: number;
  readonly lr?: number;
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

/** What make-base did, recorded in base.json beside the model for the model card. */
export interface PretrainRecord {
  readonly schemaVersion: 1;
  readonly seed: number;
  readonly config: typeof TINY_CONFIG;
  readonly parameters: number;
  readonly corpus: {
    readonly domains: number;
    readonly trainConversations: number;
    readonly heldoutConversations: number;
    readonly characters: number;
    readonly tokens: number;
  };
  readonly tokenizer: { readonly vocab: number; readonly merges: number; readonly baseChars: number };
  readonly training: {
    readonly steps: number;
    readonly rowsPerStep: number;
    readonly seqLen: number;
    readonly lr: number;
    readonly trainedTokens: number;
    readonly tokensPerSecond: number;
    readonly wallSeconds: number;
    readonly finalTrainLoss: number;
    readonly finalEvalLoss: number | null;
    readonly workers: number;
    readonly cpu: string;
  };
  readonly totalSeconds: number;
}

export const PRETRAIN_DEFAULTS = { seed: 1, samplesPerDomain: 400, heldoutPerDomain: 24, steps: 400, lr: 2e-3 };

export function corpusFiles(work: string): { train: string; heldout: string; evalSubset: string } {
  const dir = join(work, 'corpus');
  return { train: join(dir, 'train.jsonl'), heldout: join(dir, 'heldout.jsonl'), evalSubset: join(dir, 'eval.jsonl') };
}

/** Held-out conversations per domain the training run evaluates every 100 steps (base-report scores them all). */
const EVAL_PER_DOMAIN = 2;

export async function pretrain(o: PretrainOptions): Promise<PretrainRecord> {
  const started = Date.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = o.seed ?? PRETRAIN_DEFAULTS.seed;
  const runDir = join(o.work, 'run');
  const files = corpusFiles(o.work);
  mkdirSync(join(o.work, 'corpus'), { recursive: true });
  mkdirSync(o.out, { recursive: true });

  // 1. Corpus: every domain's train situations, shuffled together; held-out situations kept apart.
  const data = generate({
    domains: [...catalog().keys()],
    samplesPerDomain: o.samplesPerDomain ?? PRETRAIN_DEFAULTS.samplesPerDomain,
    heldoutPerDomain: o.heldoutPerDomain ?? PRETRAIN_DEFAULTS.heldoutPerDomain,
    seed,
  });
  const train = new Rng(seed).shuffle(
    data.flatMap((d) => d.train.map((s) => ({ messages: s.messages, domain: s.domain }))),
  );
  const heldout = data.flatMap((d) => d.heldout.map((s) => ({ messages: s.messages, domain: s.domain })));
  await writeJsonlAtomic(files.train, train);
  await writeJsonlAtomic(files.heldout, heldout);
  await writeJsonlAtomic(
    files.evalSubset,
    data.flatMap((d) => d.heldout.slice(0, EVAL_PER_DOMAIN)),
  );
  const texts = train.map((s) => renderChat(s.messages));
  const characters = texts.reduce((n, t) => n + t.length, 0);
  log(`corpus: ${train.length} train + ${heldout.length} held-out conversations, ${characters} characters`);

  // 2. Tokenizer.
  const vocabulary = trainTokenizer(texts, { vocabSize: TINY_CONFIG.vocabSize });
  log(`tokenizer: ${vocabulary.stats.merges} merges, ${vocabulary.stats.baseChars} base characters`);

  // 3. Model: init, then full training on every token.
  const init = join(o.work, 'init.gguf');
  await initModel(init, { ...TINY_CONFIG, vocabulary, seed, name: 'meetara-tiny' });
  const workers = o.workers ?? availableParallelism();
  const report: RunReport = await finetune({
    base: init,
    data: files.train,
    eval: files.evalSubset,
    out: runDir,
    full: true,
    lossOn: 'all',
    steps: o.steps ?? PRETRAIN_DEFAULTS.steps,
    lr: o.lr ?? PRETRAIN_DEFAULTS.lr,
    warmup: 0.03,
    schedule: 'cosine',
    seqLen: TINY_CONFIG.contextLength,
    batch: 4,
    gradAccum: 2,
    weightDecay: 0.01,
    seed,
    workers,
    evalEvery: 100,
    checkpointEvery: 50,
    resume: hasCheckpoint(runDir),
    force: !hasCheckpoint(runDir),
    log,
  });

  // 4. Ship.
  const shipped = join(o.out, BASE_FILE);
  copyFileSync(join(runDir, 'merged.gguf'), shipped);
  const tokenizer = Tokenizer.fromGgufFile(shipped);
  const tokens = texts.reduce((n, t) => n + tokenizer.tokenize(t, { parseSpecial: true }).length, 0);
  const record: PretrainRecord = {
    schemaVersion: 1,
    seed,
    config: TINY_CONFIG,
    parameters: parameterCount(shipped),
    corpus: {
      domains: data.length,
      trainConversations: train.length,
      heldoutConversations: heldout.length,
      characters,
      tokens,
    },
    tokenizer: {
      vocab: vocabulary.tokens.length,
      merges: vocabulary.stats.merges,
      baseChars: vocabulary.stats.baseChars,
    },
    training: {
      steps: report.steps,
      rowsPerStep: report.batch.rowsPerStep,
      seqLen: report.settings.seqLen,
      lr: report.settings.lr,
      trainedTokens: report.trainedTokens,
      tokensPerSecond: report.tokensPerSecond,
      wallSeconds: report.wallSeconds,
      finalTrainLoss: report.finalTrainLoss,
      finalEvalLoss: report.finalEvalLoss,
      workers: report.device.workers,
      cpu: report.device.cpu,
    },
    totalSeconds: (Date.now() - started) / 1000,
  };
  await writeJsonAtomic(join(o.out, BASE_RECORD), record);
  if (existsSync(join(runDir, METRICS_FILE)))
    copyFileSync(join(runDir, METRICS_FILE), join(o.out, 'pretrain-metrics.jsonl'));
  log(`shipped ${shipped}`);
  return record;
}

/** Parameters of a GGUF model: the sum of its tensors' element counts. */
export function parameterCount(path: string): number {
  const file = GgufFile.open(path);
  try {
    return file.tensors.reduce((n, t) => n + t.ne.reduce((a, b) => a * Number(b), 1), 0);
  } finally {
    file.close();
  }
}
