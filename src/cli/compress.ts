import type { Command } from 'commander';
import { COMPRESS_DEFAULTS, COMPRESS_PROFILES, compressWorkflow } from '../trinity/compress.ts';
import { MERGE_METHODS } from '../trinity/merge.ts';
import { profilesHelp } from '../trinity/profiles.ts';
import { choice, parseFloatOption, parseIntOption, printJson } from './shared.ts';

export function registerCompress(program: Command): void {
  program
    .command('compress')
    .description(
      'local side: verify a transfer package, quantize every domain, build the universal pack and merged model, measure quality with llama.cpp, and write the deployment package and report',
    )
    .requiredOption('--package <path>', 'the transfer package: its folder, its download_package.json, or its .tar')
    .option('--profile <name>', COMPRESS_PROFILES.join(' | '), choice(COMPRESS_PROFILES), COMPRESS_DEFAULTS.profile)
    .option('--out <dir>', 'where the deployment goes', COMPRESS_DEFAULTS.out)
    .option('--threads <n>', 'quantization workers and llama.cpp threads (default: all cores)', parseIntOption)
    .option('--merge <method>', 'how the merged model combines domains', choice(MERGE_METHODS), COMPRESS_DEFAULTS.merge)
    .option('--density <x>', 'TIES: share of each delta kept', parseFloatOption, COMPRESS_DEFAULTS.density)
    .option(
      '--heldout <n>',
      'held-out conversations measured per domain (at most)',
      parseIntOption,
      COMPRESS_DEFAULTS.heldout,
    )
    .option('--force', 'rebuild every output, even those whose inputs are unchanged')
    .option('--json', 'print deployment_package.json on stdout')
    .addHelpText(
      'after',
      `\n${profilesHelp()}\n\nA rerun keeps every output whose inputs are unchanged (by sha256); an interrupted run leaves no partial files.\n\n` +
        'Examples:\n  npm run compress -- --package out/colab_trinity_20261125_101500 --profile balanced\n' +
        '  npm run compress -- --package colab_trinity_20261125_101500.tar --out deploy/ --merge linear',
    )
    .action(async (o) => {
      const r = await compressWorkflow({
        package: o.package,
        profile: o.profile,
        out: o.out,
        threads: o.threads,
        force: o.force,
        merge: o.merge,
        density: o.density,
        heldout: o.heldout,
      });
      if (o.json) printJson(r.manifest);
    });
}
