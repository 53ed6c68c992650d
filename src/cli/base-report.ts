import type { Command } from 'commander';
import { baseReport } from '../trinity/base-report.ts';
import { parseIntOption, printJson } from './shared.ts';

export function registerBaseReport(program: Command): void {
  program
    .command('base-report')
    .description("measure the embedded base with llama.cpp and write its MODEL_CARD.md (make-base's second half)")
    .option('--out <dir>', 'the folder pretrain wrote (model, base.json, metrics)', 'assets/base')
    .option('--work <dir>', "pretrain's work folder (its held-out corpus)", '.cache/make-base')
    .option('--threads <n>', 'llama.cpp threads (default: all cores)', parseIntOption)
    .option('--json', 'print base-report.json on stdout')
    .action(async (o) => {
      const report = await baseReport({ out: o.out, work: o.work, threads: o.threads });
      if (o.json) printJson(report);
    });
}
