// Our code point classes against llama.cpp's own tables: libllama exports unicode_cpt_flags_from_cpt (a C++
// symbol returning a 2-byte bit-field struct), which we call through koffi for every code point.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { cptFlags } from '../../src/model/tokenizer/unicode.ts';

const require = createRequire(import.meta.url);
const BIN_DIR = join(dirname(require.resolve('@node-llama-cpp/linux-x64')), '..', 'bins', 'linux-x64');

describe('unicode classes', () => {
  it('match llama.cpp for every code point (category and whitespace bits)', () => {
    const lib = koffi.load(join(BIN_DIR, 'libllama.v0.4.0.so'));
    // unicode_cpt_flags unicode_cpt_flags_from_cpt(uint32_t): the struct is 16 bits, returned like a uint16_t.
    const llamaFlags = lib.func('uint16_t _Z26unicode_cpt_flags_from_cptj(uint32_t cpt)');
    const MASK = 0x1ff; // the category bits and WHITESPACE; the case and NFD helper bits are not used by tokenizers
    const mismatches: string[] = [];
    for (let c = 0; c < 0x110000; c++) {
      const expected = llamaFlags(c) & MASK;
      const got = cptFlags(c);
      if (got !== expected && mismatches.length < 10) mismatches.push(`U+${c.toString(16)}: ${got} vs ${expected}`);
    }
    expect(mismatches).toEqual([]);
    expect(llamaFlags(0x41) & MASK).toBe(0x4); // 'A' is a letter: the binding reads the right bits
  });
});
