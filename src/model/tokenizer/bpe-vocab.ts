// A small byte-level BPE vocabulary for test and demo models: the 256 GPT-2 byte characters, merges learned
// from a built-in multilingual text with the chosen pre-tokenizer (then seeded random merges up to the requested
// size), ChatML control tokens and one user-defined token. llama.cpp loads it as a `gpt2` tokenizer.

import { InputError } from '../../errors.ts';
import { TokenType } from '../../gguf/constants.ts';
import { type GgufMetadata, kv } from '../../gguf/metadata.ts';
import { Rng } from '../../util/random.ts';
import { CHATML_SPECIAL_TOKENS } from '../chat-template.ts';
import { preTokenize } from './bpe.ts';
import { bytesToGpt2 } from './unicode.ts';
import { BPE_PRE_TYPES } from './vocab.ts';

const TRAINING_TEXT = `The quick brown fox jumps over the lazy dog. I'm sure you'll find it's what we've wanted.
Hello, how are you feeling today? I hear you, and I'm here to listen. It's okay to feel sad sometimes.
Take a deep breath. Sleep, water, a short walk: small steps help. Talk to a doctor if the pain stays.
Our business plan for 2024 grew revenue by 12.5% to $3,400,000 in 12 months; see table 3 (rows 1-10).
def add(a, b):\n    return a + b\n\nfor i in range(10):\n    print(i, add(i, 2))\n
function greet(name) { return \`Hello, \${name}!\`; } // const x = [1, 2, 3].map((v) => v * 2);
Здравствуйте! Как вы себя чувствуете сегодня? Всё будет хорошо.
你好，今天感觉怎么样？我在这里倾听你。学习和工作都很重要。
こんにちは、元気ですか？ 今日はいい天気です。 안녕하세요, 반갑습니다.
Café naïve résumé façade jalapeño über straße. ¿Qué tal? ¡Muy bien!
مرحبا كيف حالك اليوم؟ नमस्ते, आप कैसे हैं? Γειά σου κόσμε.
Emoji: 😀 😢 ❤️ 👍🏽 🦙 🚀 ✅ — "quotes" and 'single' … ellipsis.
numbers 0 1 22 333 4444 55555 3.14159 1e-5 0x1F 100%\ttabs\tand\r\nnewlines\n\n\nend`;

export interface BpeVocabulary {
  readonly tokens: string[];
  readonly types: number[];
  readonly merges: string[];
  readonly bos: number;
  readonly eos: number;
}

/** Learns merges greedily (most frequent pair, ties by text) until the vocabulary has `size` tokens. */
export function buildBpeVocabulary(size: number, pre: string): BpeVocabulary {
  const preType = BPE_PRE_TYPES[pre];
  if (!preType)
    throw new InputError(
      `BPE pre-tokenizer '${pre}' is not supported (supported: ${Object.keys(BPE_PRE_TYPES).join(', ')})`,
    );
  const specials = ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS];
  const userDefined = ['<tool_call>'];
  const minSize = 256 + specials.length + userDefined.length;
  if (size < minSize)
    throw new InputError(`--vocab ${size} is too small: a byte-level BPE vocabulary needs ${minSize}`);

  const tokens = Array.from({ length: 256 }, (_, b) => bytesToGpt2(Uint8Array.of(b)));
  const known = new Set(tokens);
  const merges: string[] = [];
  const counts = new Map<string, number>();
  for (const line of TRAINING_TEXT.split(/(?<=\n)/)) {
    for (const w of preTokenize(preType.split, line)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words = [...counts].map(([w, count]) => ({ parts: Array.from(w), count }));
  const target = size - specials.length - userDefined.length;
  while (tokens.length < target) {
    const pairs = new Map<string, number>();
    for (const { parts, count } of words) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best = '';
    let bestCount = 0;
    for (const [key, c] of pairs) {
      const merged = key.replace(' ', '');
      if (known.has(merged)) continue;
      if (c > bestCount || (c === bestCount && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (!best) break;
    const [a, b] = best.split(' ');
    merges.push(best);
    tokens.push(a + b);
    known.add(a + b);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.parts.length; i++) {
        if (i + 1 < w.parts.length && w.parts[i] === a && w.parts[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(w.parts[i]);
      }
      w.parts = out;
    }
  }
  // The text ran out of pairs before `size`: add merges of random existing tokens (seeded), so every slot is
  // a real token and tokenization exercises deeper merges.
  const rng = new Rng(size);
  while (tokens.length < target) {
    const a = tokens[rng.int(tokens.length)];
    const b = tokens[rng.int(tokens.length)];
    if (known.has(a + b) || a.length + b.length > 12) continue;
    merges.push(`${a} ${b}`);
    tokens.push(a + b);
    known.add(a + b);
  }
  const types: number[] = tokens.map(() => TokenType.NORMAL);
  for (const t of specials) {
    tokens.push(t);
    types.push(TokenType.CONTROL);
  }
  for (const t of userDefined) {
    tokens.push(t);
    types.push(TokenType.USER_DEFINED);
  }
  return { tokens, types, merges, bos: tokens.indexOf('<|endoftext|>'), eos: tokens.indexOf('<|im_end|>') };
}

/** The GGUF tokenizer metadata of a byte-level BPE vocabulary. */
export function bpeTokenizerMetadata(v: BpeVocabulary, pre: string): GgufMetadata {
  const addBos = BPE_PRE_TYPES[pre]?.addBos ?? false;
  return new Map([
    ['tokenizer.ggml.model', kv.str('gpt2')],
    ['tokenizer.ggml.pre', kv.str(pre)],
    ['tokenizer.ggml.tokens', kv.strings(v.tokens)],
    ['tokenizer.ggml.token_type', kv.i32s(v.types)],
    ['tokenizer.ggml.merges', kv.strings(v.merges)],
    ['tokenizer.ggml.bos_token_id', kv.u32(v.bos)],
    ['tokenizer.ggml.eos_token_id', kv.u32(v.eos)],
    ['tokenizer.ggml.padding_token_id', kv.u32(v.bos)],
    ['tokenizer.ggml.add_bos_token', kv.bool(addBos)],
    ['tokenizer.ggml.add_eos_token', kv.bool(false)],
  ]);
}
