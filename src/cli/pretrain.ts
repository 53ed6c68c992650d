import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { PRETRAIN_DEFAULTS, pretrain } from '../trinity/make-base.ts';
import { parseFloatOption, parseIntOption, printJson } from './shared.ts';

export function registerPretrain(program: Command): void {
  program
    .command('pretrain')
    .description(
      'make the embedded tiny base model from scratch: corpus, tokenizer, init, full training (npm run make-base)',
    )
    .option('--config <name>', 'model size (only "tiny": dim 192, 4 layers, vocab 4096, context 512)', 'tiny')
    .option('--out <dir>', 'where the model and its record go', 'assets/base')
    .option('--work <dir>', 'corpus and training run, kept for resuming (not committed)', '.cache/make-base')
    .option('--seed <n>', 'seed for corpus, tokenizer, init and data order', parseIntOption, PRETRAIN_DEFAULTS.seed)
    .option('--samples <n>', 'corpus conversations per domain', parseIntOption, PRETRAIN_DEFAULTS.samplesPerDomain)
    .option('--steps <n>', 'optimizer steps', parseIntOption, PRETRAIN_DEFAULTS.steps)
    .option('--lr <x>', 'peak learning rate', parseFloatOption, PRETRAIN_DEFAULTS.lr)
    .option('--workers <n>', 'data-parallel workers (default: one per core)', parseIntOption)
    .option('--json', 'print the record (base.json) on stdout')
    .addHelpText(
      'after',
      '\nAn interrupted run resumes from its last checkpoint in --work. Then `meetara base-report` measures the model\n' +
        'with llama.cpp and writes MODEL_CARD.md.\n\nExample:\n  npm run make-base',
    )
    .action(async (o) => {
      if (o.config !== 'tiny') throw new UsageError(`--config ${o.config}: only "tiny" is defined`);
      const record = await pretrain({
        out: o.out,
        work: o.work,
        seed: o.seed,
        samplesPerDomain: o.samples,
        steps: o.steps,
        lr: o.lr,
        workers: o.workers,
      });
      if (o.json) printJson(record);
    });
}
