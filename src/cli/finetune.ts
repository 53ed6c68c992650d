import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.ts';
import { LOSS_ON } from '../model/chat-encoder.ts';
import { BACKENDS } from '../trainer/backend.ts';
import { type FinetuneOptions, finetune } from '../trainer/finetune.ts';
import { parseLoraTargets } from '../trainer/lora.ts';
import { SCHEDULES } from '../trainer/schedule.ts';
import { choice, parseFloatOption, parseIntOption, printJson } from './shared.ts';

const autoOrInt = (value: string): number | 'auto' => (value === 'auto' ? 'auto' : parseIntOption(value));

function targetsOption(value: string) {
  try {
    return parseLoraTargets(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Options that define a run; on --resume only those typed on the command line are checked against it. */
const RUN_DEFINING = [
  'base',
  'data',
  'eval',
  'rank',
  'alpha',
  'targets',
  'lr',
  'warmup',
  'schedule',
  'seqLen',
  'clip',
  'weightDecay',
  'seed',
  'full',
  'lossOn',
  'pack',
  'mergedType',
] as const;

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description(
      'LoRA (or full) fine-tuning of a GGUF model on chat JSONL; exports adapter.gguf, a PEFT adapter and merged.gguf',
    )
    .addHelpText(
      'after',
      `
Data: one JSON object per line, {"messages":[{"role":"user","content":...},{"role":"assistant","content":...}]}.
The loss counts assistant tokens only (--loss-on all: every token, for pretraining). Samples are packed into
--seq-len rows, attention kept within each sample.

The output folder gets: adapter.gguf (llama.cpp --lora), adapter_model.safetensors + adapter_config.json (HF PEFT),
merged.gguf, metrics.jsonl (one line per step), checkpoint.safetensors (for --resume) and run.json (measured
device, tokens/s, GFLOP/s, losses).

GPU: install @tensorflow/tfjs-node-gpu and its CUDA 11 libraries (scripts/colab-setup.sh on Colab), then
--backend tensorflow. A GPU that tfjs does not use stops the run unless --allow-cpu.

Examples:
  npx meetara finetune --base base.gguf --data train.jsonl --eval heldout.jsonl --out runs/health
  npx meetara finetune --resume runs/health`,
    )
    .option('--base <model.gguf>', 'base model (GGUF)')
    .option('--data <train.jsonl>', 'training data (chat JSONL)')
    .option('--eval <heldout.jsonl>', 'held-out data (chat JSONL) for the held-out loss')
    .option('--out <dir>', 'output folder')
    .option('--resume <dir>', 'continue the run in <dir> from its last checkpoint')
    .option('--force', 'start over in an --out folder that holds another run')
    .option('--rank <n>', 'LoRA rank', parseIntOption, 8)
    .option('--alpha <x>', 'LoRA alpha (scale = alpha / rank)', parseFloatOption, 16)
    .option('--targets <list>', 'projections to adapt: q,k,v,o,gate,up,down', targetsOption)
    .option('--full', 'train all weights instead of a LoRA')
    .option(
      '--loss-on <tokens>',
      'tokens the loss counts: assistant (fine-tuning) or all (pretraining)',
      choice(LOSS_ON),
    )
    .option('--lr <x>', 'peak learning rate', parseFloatOption, 2e-4)
    .option('--warmup <fraction>', 'fraction of steps spent warming up', parseFloatOption, 0.05)
    .option('--schedule <kind>', `learning-rate schedule: ${SCHEDULES.join(', ')}`, choice(SCHEDULES), 'cosine')
    .option('--epochs <n>', 'passes over the data', parseFloatOption, 1)
    .option('--steps <n>', 'optimizer steps (overrides --epochs)', parseIntOption)
    .option('--seq-len <n>', 'tokens per row', parseIntOption, 512)
    .option('--batch <auto|n>', 'rows per micro-batch (per worker); auto sizes it from memory', autoOrInt, 'auto')
    .option('--grad-accum <auto|n>', 'micro-batches per step; auto keeps 16 rows per step', autoOrInt, 'auto')
    .option('--clip <x>', 'gradient-norm clip (0 disables)', parseFloatOption, 1.0)
    .option('--weight-decay <x>', 'AdamW weight decay', parseFloatOption, 0)
    .option('--seed <n>', 'seed for data order and LoRA init', parseIntOption, 0)
    .option(
      '--backend <name>',
      `tfjs backend: auto, ${BACKENDS.join(', ')}`,
      choice(['auto', ...BACKENDS] as const),
      'auto',
    )
    .option('--workers <n>', 'data-parallel workers on wasm/cpu (default: one per core)', parseIntOption)
    .option('--allow-cpu', 'train on the CPU even though a GPU is present but unused by tfjs')
    .option('--eval-every <n>', 'held-out loss every n steps (and at the end)', parseIntOption, 100)
    .option('--checkpoint-every <n>', 'checkpoint every n steps (and at the end)', parseIntOption, 100)
    .option('--merged-type <type>', 'merged.gguf type (F16, BF16, F32, Q8_0, Q4_K_M, ...)', 'F16')
    .option('--no-pack', 'one sample per row (padded) instead of packing')
    .option('--strict', 'any malformed line or over-long sample is fatal')
    .option('--json', 'print run.json on stdout when done');

  cmd.action(async (o: Record<string, unknown>) => {
    const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
    const resume = o.resume as string | undefined;
    if (resume && o.out && o.out !== resume)
      throw new UsageError(`--out ${o.out} and --resume ${resume} name different folders`);
    const out = (resume ?? o.out) as string | undefined;
    if (!out) throw new UsageError('--out <dir> is required (or --resume <dir>)');
    if (!resume && (!o.base || !o.data)) throw new UsageError('--base and --data are required for a new run');
    // On resume, only options typed on the command line are compared with the run's own settings.
    const defining = Object.fromEntries(RUN_DEFINING.filter((k) => !resume || given(k)).map((k) => [k, o[k]]));
    const options: FinetuneOptions = {
      ...(defining as Partial<FinetuneOptions>),
      base: o.base as string,
      data: o.data as string,
      out,
      resume: Boolean(resume),
      force: Boolean(o.force),
      epochs: o.epochs as number,
      steps: o.steps as number | undefined,
      batch: o.batch as number | 'auto',
      gradAccum: o.gradAccum as number | 'auto',
      backend: o.backend as FinetuneOptions['backend'],
      workers: o.workers as number | undefined,
      allowCpu: Boolean(o.allowCpu),
      evalEvery: o.evalEvery as number,
      checkpointEvery: o.checkpointEvery as number,
      strict: Boolean(o.strict),
    };
    const report = await finetune(options);
    if (o.json) printJson(report);
  });
}
