import type { Command } from 'commander';
import { convertHfToGguf, OUTTYPES } from '../model/convert.ts';
import { exportHf } from '../model/export-hf.ts';
import { choice, printJson } from './shared.ts';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert an HF checkpoint folder (llama, qwen2) to a GGUF that llama.cpp loads')
    .argument(
      '<hf-dir>',
      'folder with config.json, *.safetensors, tokenizer.json / tokenizer.model, tokenizer_config.json',
    )
    .argument('<out>', 'output GGUF path')
    .option('--outtype <type>', `tensor type for 2-D weights: ${OUTTYPES.join(', ')}`, choice(OUTTYPES), 'f16')
    .option('--name <name>', 'general.name (default: the folder name)')
    .option('--json', 'print a summary as JSON')
    .addHelpText('after', '\nExample:\n  npx meetara convert ./SmolLM2-135M-Instruct smollm2-f16.gguf --outtype f16')
    .action(
      async (hfDir: string, out: string, o: { outtype: (typeof OUTTYPES)[number]; name?: string; json?: boolean }) => {
        const r = await convertHfToGguf(hfDir, out, { outtype: o.outtype, name: o.name });
        const summary = { out, arch: r.config.arch, outtype: r.outtype, tensors: r.tensors, bytes: r.bytes };
        if (o.json) printJson(summary);
        else
          process.stderr.write(
            `wrote ${out} (${r.config.arch}, ${r.tensors} tensors, ${r.outtype}, ${r.bytes} bytes)\n`,
          );
      },
    );

  program
    .command('export-hf')
    .description('write an HF checkpoint folder (config.json, model.safetensors, tokenizer files) from a GGUF model')
    .argument('<model>', 'GGUF model (llama or qwen2)')
    .argument('<hf-dir>', 'output folder')
    .option('--json', 'print a summary as JSON')
    .action(async (model: string, hfDir: string, o: { json?: boolean }) => {
      const r = await exportHf(model, hfDir);
      if (o.json) printJson({ dir: hfDir, arch: r.config.arch, tensors: r.tensors });
      else process.stderr.write(`wrote ${hfDir} (${r.config.arch}, ${r.tensors} tensors)\n`);
    });
}
