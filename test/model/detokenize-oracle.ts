import type { LlamaModel, Token } from 'node-llama-cpp';
import type { Tokenizer } from '../../src/model/tokenizer/tokenizer.ts';

/**
 * Where our detokenizer differs from llama.cpp's: every token alone, and every text's llama.cpp tokens, with and
 * without special-token text. `check` may add mismatches of its own for each text's plain detokenization.
 */
export function detokenizeMismatches(
  ours: Tokenizer,
  model: LlamaModel,
  texts: readonly string[],
  check?: (text: string, got: string) => unknown,
): unknown[] {
  const mismatches: unknown[] = [];
  for (let id = 0; id < ours.size; id++) {
    for (const special of [true, false]) {
      const expected = model.detokenize([id as Token], special);
      const got = ours.detokenize([id], { unparseSpecial: special });
      if (got !== expected) mismatches.push({ id, special, got, expected });
    }
  }
  for (const text of texts) {
    for (const special of [true, false]) {
      const ids = Array.from(model.tokenize(text, special));
      const expected = model.detokenize(ids, special);
      const got = ours.detokenize(ids, { unparseSpecial: special });
      if (got !== expected) mismatches.push({ text, special, got, expected });
      const extra = special ? undefined : check?.(text, got);
      if (extra !== undefined) mismatches.push(extra);
    }
  }
  return mismatches;
}
