import type { Command } from 'commander';
import { DEMO_TRAIN, demoSummary, demoWorkflow } from '../trinity/demo.ts';
import { parseIntOption } from './shared.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      `train (4 domains on the embedded tiny base, ${DEMO_TRAIN.samples} samples each) then compress --profile balanced, and print a summary`,
    )
    .option(
      '--quick',
      "train's smoke-test size (40 samples, 8 steps) on healthcare and mental_health only, in about 2 minutes",
    )
    .option('--out <dir>', 'where the package (train/) and the deployment (deploy/) go', 'out/demo')
    .option('--threads <n>', 'threads for quantization and llama.cpp (default: all cores)', parseIntOption)
    .addHelpText('after', '\nExamples:\n  npm run demo\n  npm run demo -- --quick')
    .action(async (o) => {
      const r = await demoWorkflow({ quick: o.quick, out: o.out, threads: o.threads });
      process.stdout.write(demoSummary(r));
    });
}
