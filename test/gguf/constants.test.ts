// The format table in src/gguf/constants.ts, checked row by row against ggml's own type_traits.

import { describe, expect, it } from 'vitest';
import { GGML_TYPES, ggmlTypeInfo } from '../../src/gguf/constants.ts';
import { ggmlTypeTraits } from '../quant/ggml-oracle.ts';

const GGML_TYPE_COUNT = 43; // enum ggml_type in the pinned ggml.h

describe('ggml type table', () => {
  it('matches libggml-base for every type id it knows', () => {
    let known = 0;
    for (let id = 0; id < GGML_TYPE_COUNT; id++) {
      const theirs = ggmlTypeTraits(id);
      const ours = ggmlTypeInfo(id);
      if (theirs.typeSize === 0) {
        // Removed ids (4, 5, 31-33, 36-38) have no size in ggml and must be absent from our table.
        expect(ours, `type ${id}`).toBeUndefined();
        continue;
      }
      known++;
      expect(ours, `type ${id} (${theirs.name})`).toBeDefined();
      expect({ id, blockSize: ours!.blockSize, typeSize: ours!.typeSize, name: ours!.name.toLowerCase() }).toEqual({
        id,
        blockSize: theirs.blockSize,
        typeSize: theirs.typeSize,
        name: theirs.name!.toLowerCase(),
      });
    }
    expect(known).toBe(Object.keys(GGML_TYPES).length);
  });
});
