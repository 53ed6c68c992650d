import type { Command } from 'commander';
import { SUPPORTED_ARCHS } from '../gguf/llama.ts';
import { initModel, readSpmVocabulary } from '../model/init-model.ts';
import { choice, parseIntOption, printJson } from './shared.ts';

export function registerInitModel(program: Command): void {
  program
    .command('init-model')
    .description(
      'write a randomly initialised llama/qwen2 model (F32) with a byte-fallback SPM or byte-level BPE vocabulary',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  npx meetara init-model --vocab 4096 --dim 256 --layers 4 --heads 8 --kv-heads 4 --ffn 768 --ctx 512 --out tiny.gguf\n  npx meetara init-model --vocab-from tokenizer.gguf --dim 256 --layers 4 --heads 8 --ffn 768 --out tiny.gguf',
    )
    .option('--arch <arch>', `architecture: ${SUPPORTED_ARCHS.join(', ')}`, choice(SUPPORTED_ARCHS), 'llama')
    .option('--vocab <n>', 'vocabulary size (at least 261); taken from --vocab-from when given', parseIntOption)
    .option('--vocab-from <file>', 'use the SPM vocabulary of this GGUF (from meetara tokenizer-train, or a model)')
    .requiredOption('--dim <n>', 'embedding size', parseIntOption)
    .requiredOption('--layers <n>', 'transformer blocks', parseIntOption)
    .requiredOption('--heads <n>', 'attention heads', parseIntOption)
    .option('--kv-heads <n>', 'key/value heads (GQA); defaults to --heads', parseIntOption)
    .requiredOption('--ffn <n>', 'feed-forward size', parseIntOption)
    .option('--ctx <n>', 'context length', parseIntOption, 2048)
    .option('--tied', 'tie the LM head to the token embeddings (no output.weight)')
    .option(
      '--tokenizer <kind>',
      'spm (byte-fallback SentencePiece) or bpe (byte-level BPE)',
      choice(['spm', 'bpe'] as const),
      'spm',
    )
    .option('--bpe-pre <name>', 'tokenizer.ggml.pre for --tokenizer bpe (llama-bpe, qwen2, gpt-2, smollm)', 'llama-bpe')
    .option('--seed <n>', 'random seed', parseIntOption, 0)
    .requiredOption('--out <file>', 'output GGUF path')
    .option('--json', 'print the model hyperparameters as JSON')
    .action(async (o) => {
      const vocabulary = o.vocabFrom ? readSpmVocabulary(o.vocabFrom) : undefined;
      const h = await initModel(o.out, {
        vocabulary,
        arch: o.arch,
        vocabSize: o.vocab,
        dim: o.dim,
        layers: o.layers,
        heads: o.heads,
        kvHeads: o.kvHeads,
        ffn: o.ffn,
        contextLength: o.ctx,
        tiedEmbeddings: Boolean(o.tied),
        tokenizer: o.tokenizer,
        bpePre: o.bpePre,
        seed: o.seed,
      });
      if (o.json) printJson({ out: o.out, ...h });
      else process.stderr.write(`wrote ${o.out} (${h.arch}, dim ${h.dim}, ${h.layers} layers, vocab ${h.vocabSize})\n`);
    });
}
