import type { Command } from 'commander';
import { SCHEDULES } from '../trinity/cost.ts';
import { planWorkflow, TRAIN_DEFAULTS, trainWorkflow } from '../trinity/train.ts';
import { megabytes } from '../util/format.ts';
import { choice, parseFloatOption, parseIntOption, printJson } from './shared.ts';

/** Options `train` and `plan` share: what to train and on what. */
function trainOptions(cmd: Command): Command {
  return cmd
    .option('--domains <list>', 'healthcare,mental_health,business,education | all | category:NAME | a comma list')
    .option(
      '--samples <n>',
      `generated samples per domain (default ${TRAIN_DEFAULTS.samples}; 40 with --quick)`,
      parseIntOption,
    )
    .option(
      '--data <DOMAIN=FILE>',
      'import chat data: DOMAIN=FILE replaces generated data, DOMAIN+=FILE extends it (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--base <model>', 'base model: a GGUF file or an HF folder (default: the embedded tiny base)')
    .option('--rank <n>', 'LoRA rank', parseIntOption)
    .option('--lr <x>', 'learning rate', parseFloatOption)
    .option('--epochs <n>', "passes over each domain's data", parseFloatOption)
    .option('--seq-len <n>', 'tokens per training row', parseIntOption)
    .option('--lite-type <type>', 'llama-quantize type of the lite model', TRAIN_DEFAULTS.liteType)
    .option('--gpu <auto|none|NAME>', 'device: auto, none, or a GPU index, catalog id or name', 'auto')
    .option('--gpu-price <usd>', 'USD per GPU-hour (overrides the catalog)', parseFloatOption)
    .option(
      '--schedule <when>',
      `projected monthly cost for runs: ${SCHEDULES.join(', ')}`,
      choice(SCHEDULES),
      'weekly',
    )
    .option('--budget-usd <usd>', 'refuse a run whose predicted cost is higher', parseFloatOption)
    .option('--force', 'run even over --budget-usd')
    .option('--calibrate', 'time a few steps now instead of using the throughput the last run recorded')
    .option('--out <dir>', 'where the package folder goes', 'out')
    .option('--quick', 'a small run for smoke tests and demos (40 samples, 8 steps per domain)')
    .option('--seed <n>', 'data and training seed', parseIntOption, 0)
    .option('--nvidia-smi <path>', 'nvidia-smi to query (for tests)');
}

export function registerTrain(program: Command): void {
  trainOptions(
    program
      .command('train')
      .description(
        'GPU side: per domain generate data, LoRA-tune, export adapter/full/lite GGUF, evaluate, and write the transfer package',
      ),
  )
    .option('--archive', 'also write one .tar of the package')
    .option('--resume', 'continue the unfinished run in --out (finished domains are kept)')
    .option('--json', 'print download_package.json on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  npm run train -- --quick --domains healthcare,business\n' +
        '  npm run train -- --base SmolLM2-360M.gguf --domains all --gpu-price 0.35 --budget-usd 50 --archive',
    )
    .action(async (o) => {
      const r = await trainWorkflow(o);
      if (o.json) printJson(r.manifest);
      else process.stderr.write(`done: ${r.packageDir}${r.archive ? ` (${r.archive})` : ''}\n`);
    });
}

export function registerPlan(program: Command): void {
  trainOptions(
    program
      .command('plan')
      .description(
        'predict what `meetara train` with the same options would take: tokens, steps, batch, time, sizes, cost',
      ),
  )
    .option('--json', 'print the plan as JSON')
    .action(async (o) => {
      const plan = await planWorkflow(o);
      if (o.json) {
        printJson(plan);
        return;
      }
      const lines = plan.domains.map(
        (d) =>
          `${d.name.padEnd(24)} ${String(d.samples).padStart(6)} samples ${String(d.tokens).padStart(9)} tokens ${String(d.steps).padStart(5)} steps  ` +
          `${d.seconds.toFixed(0).padStart(6)} s  adapter ${megabytes(d.sizes.adapterGguf)}, full ${megabytes(d.sizes.full)}, lite ${megabytes(d.sizes.lite)}`,
      );
      process.stdout.write(
        [
          `device: ${plan.device}, ${plan.tokensPerSecond.toFixed(0)} tokens/s (${plan.throughputSource})`,
          `batch: ${plan.rowsPerStep} rows per step; ${plan.batchDecision}`,
          ...lines,
          `predicted: ${plan.totalSeconds.toFixed(0)} s, $${plan.totalUsd.toFixed(4)} at $${plan.usdPerHour}/h`,
          '',
        ].join('\n'),
      );
    });
}
