import type { Command } from 'commander';
import { QUANT_TYPE_NAMES } from '../quant/mixes.ts';
import { quantizeFile } from '../quant/quantize-file.ts';
import { parseIntOption, printJson } from './shared.ts';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('quantize a GGUF model as llama-quantize does (same tensor types, same bytes)')
    .argument('<in>', 'input GGUF (F32, F16, BF16 or Q8_0 tensors)')
    .argument('<out>', 'output GGUF')
    .requiredOption('--type <type>', `file type: ${QUANT_TYPE_NAMES.join(', ')}`)
    .option('--threads <n>', 'worker threads (default: one per core)', parseIntOption)
    .option('--allow-requantize', 'allow converting tensors that are already quantized (loses quality twice)')
    .option('--json', 'print the per-tensor report as JSON on stdout')
    .addHelpText(
      'after',
      '\nExample:\n  npx meetara quantize model-f32.gguf model-q4_k_m.gguf --type Q4_K_M --threads 2',
    )
    .action(async (input: string, output: string, o) => {
      const r = await quantizeFile(input, output, {
        type: o.type,
        threads: o.threads,
        allowRequantize: Boolean(o.allowRequantize),
      });
      if (o.json) {
        printJson(r);
        return;
      }
      const converted = r.tensors.filter((t) => t.from !== t.to).length;
      process.stderr.write(
        `wrote ${r.output}: ${r.fileType}, ${converted}/${r.tensors.length} tensors converted, ` +
          `${mb(r.inputBytes)} -> ${mb(r.outputBytes)} in ${r.seconds.toFixed(2)} s ` +
          `(${(r.inputBytes / 1e6 / r.seconds).toFixed(1)} MB/s, ${r.threads} threads)\n`,
      );
    });
}
