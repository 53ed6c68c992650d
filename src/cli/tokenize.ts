import type { Command } from 'commander';
import { Tokenizer } from '../model/tokenizer/tokenizer.ts';
import { printJson } from './shared.ts';

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description("tokenize text with a GGUF model's tokenizer, exactly as llama.cpp does; prints ids and pieces")
    .argument('<model>', 'GGUF model')
    .requiredOption('--text <text>', 'text to tokenize')
    .option('--no-add-special', 'do not add BOS/EOS even where the model asks for them')
    .option('--no-parse-special', 'treat special-token text such as <|im_start|> as plain text')
    .option('--json', 'print { ids, pieces } as JSON')
    .addHelpText('after', '\nExample:\n  npx meetara tokenize tiny.gguf --text "<|im_start|>user\\nHello<|im_end|>"')
    .action((model: string, o: { text: string; addSpecial: boolean; parseSpecial: boolean; json?: boolean }) => {
      const tok = Tokenizer.fromGgufFile(model);
      const ids = tok.tokenize(o.text, { addSpecial: o.addSpecial, parseSpecial: o.parseSpecial });
      const pieces = ids.map((id) => tok.tokenToPiece(id));
      if (o.json) {
        printJson({ ids, pieces });
        return;
      }
      const lines = ids.map((id, i) => `${String(id).padStart(7)}  ${JSON.stringify(pieces[i])}`);
      process.stdout.write(`${lines.join('\n')}\n${ids.length} tokens\n`);
    });
}
