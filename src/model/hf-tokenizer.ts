// HF tokenizer files <-> GGUF tokenizer metadata. Reading follows llama.cpp's converter (convert_hf_to_gguf.py and
// gguf-py's SpecialVocab): an SPM vocabulary comes from `tokenizer.model`, a byte-level BPE one from
// `tokenizer.json`, special token ids and add_bos/add_eos from `tokenizer_config.json` (then `config.json`), and the
// chat template from `tokenizer_config.json` or `chat_template.jinja` (ChatML when there is none). Writing produces
// the files transformers and @huggingface/tokenizers load, plus `tokenizer.model` for SPM so scores survive.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { InputError } from '../errors.ts';
import { GgufValueType, TokenType } from '../gguf/constants.ts';
import { type GgufMetadata, kv } from '../gguf/metadata.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { CHATML_TEMPLATE } from './chat-template.ts';
import { readSentencePieceModel, SP_MODEL_TYPES, writeSentencePieceModel } from './sentencepiece.ts';
import { BPE_PRE_TYPES, type PreSplit } from './tokenizer/vocab.ts';

type Json = Record<string, unknown>;

// The pre-tokenizer regexes as tokenizer.json spells them.
const LLAMA3_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const byteLevel = (useRegex: boolean) => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: useRegex,
});
const splitThenBytes = (regex: string) => ({
  type: 'Sequence',
  pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel(false)],
});
/** tokenizer.json `pre_tokenizer` for each pre-tokenizer, under its canonical `tokenizer.ggml.pre` name. */
const PRE_TOKENIZERS: Record<PreSplit, { name: string; json: Json }> = {
  llama3: { name: 'llama-bpe', json: splitThenBytes(LLAMA3_REGEX) },
  qwen2: { name: 'qwen2', json: splitThenBytes(QWEN2_REGEX) },
  gpt2: { name: 'gpt-2', json: byteLevel(true) },
  'digits+gpt2': {
    name: 'smollm',
    json: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] },
  },
};

/** Recognises a tokenizer.json pre_tokenizer by its structure; returns the `tokenizer.ggml.pre` name. */
function detectPre(pre: unknown, where: string): string {
  const p = (pre ?? {}) as Json;
  const parts = p.type === 'Sequence' ? ((p.pretokenizers as Json[]) ?? []) : [p];
  const isByteLevel = (x: Json | undefined, useRegex: boolean) =>
    x?.type === 'ByteLevel' && (x.use_regex ?? true) === useRegex && !x.add_prefix_space;
  if (parts.length === 1 && isByteLevel(parts[0], true)) return 'gpt-2';
  if (parts.length === 2 && isByteLevel(parts[1], false) && parts[0].type === 'Split') {
    const regex = (parts[0].pattern as Json | undefined)?.Regex;
    if (regex === LLAMA3_REGEX) return 'llama-bpe';
    if (regex === QWEN2_REGEX) return 'qwen2';
  }
  if (parts.length === 2 && parts[0].type === 'Digits' && parts[0].individual_digits && isByteLevel(parts[1], true)) {
    return 'smollm';
  }
  const supported = Object.values(PRE_TOKENIZERS).map((x) => x.name);
  throw new InputError(
    `${where}: field 'pre_tokenizer' is not a pre-tokenizer we support yet (supported: ${supported.join(', ')}): ${JSON.stringify(pre).slice(0, 200)}`,
  );
}

function readJson(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** The content of a tokenizer_config.json special-token entry (a string or an AddedToken object). */
const contentOf = (entry: unknown): string | undefined =>
  typeof entry === 'string'
    ? entry
    : typeof (entry as Json | null)?.content === 'string'
      ? ((entry as Json).content as string)
      : undefined;

/** Added tokens llama.cpp's converter treats as control tokens even when not marked special. */
const looksSpecial = (t: string) =>
  ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t) ||
  (t.startsWith('<|') && t.endsWith('|>')) ||
  (t.startsWith('<｜') && t.endsWith('｜>')) ||
  (t.startsWith('<unused') && t.endsWith('>'));

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

interface VocabParts {
  tokens: string[];
  types: number[];
  scores?: number[];
  merges?: string[];
  pre: string;
  model: 'llama' | 'gpt2';
  addSpacePrefix?: boolean;
}

/** SPM from tokenizer.model, with tokenizer_config's added_tokens_decoder applied as llama.cpp's converter does. */
function spmFromSentencePiece(path: string, config: Json | undefined, vocabSize: number): VocabParts {
  const sp = readSentencePieceModel(path);
  if (sp.modelType !== 2) {
    throw new InputError(
      `${path}: field 'trainer_spec.model_type' is ${SP_MODEL_TYPES[sp.modelType] ?? sp.modelType}, which is not supported yet (supported: BPE)`,
    );
  }
  const tokens = Array.from({ length: vocabSize }, (_, i) => `[PAD${i}]`);
  const scores = new Array<number>(vocabSize).fill(-10000);
  const types = new Array<number>(vocabSize).fill(TokenType.UNUSED);
  for (const [i, p] of sp.pieces.entries()) {
    if (i >= vocabSize) break;
    tokens[i] = p.piece;
    scores[i] = p.score;
    types[i] = p.type;
  }
  const decoder = (config?.added_tokens_decoder ?? {}) as Record<string, Json>;
  for (const [key, entry] of Object.entries(decoder)) {
    const id = Number(key);
    const content = contentOf(entry);
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize || content === undefined) continue;
    const control = entry.special === true || looksSpecial(content);
    tokens[id] = control ? content : content.replaceAll('▁', ' ');
    types[id] = control ? TokenType.CONTROL : TokenType.USER_DEFINED;
    scores[id] = -1000;
  }
  return { tokens, types, scores, pre: 'default', model: 'llama', addSpacePrefix: sp.addDummyPrefix };
}

/** Tokens by id from tokenizer.json's model vocab and added tokens; gaps up to vocabSize become [PADi]. */
function tokensOf(tj: Json, added: readonly AddedToken[], vocabSize: number, where: string): (string | undefined)[] {
  const vocab = ((tj.model as Json).vocab ?? {}) as Record<string, number>;
  const tokens: (string | undefined)[] = new Array(vocabSize);
  const put = (t: string, id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InputError(
        `${where}: token '${t}' has id ${id}, outside the vocabulary size ${vocabSize} of config.json`,
      );
    }
    tokens[id] = t;
  };
  for (const [t, id] of Object.entries(vocab)) put(t, id);
  for (const a of added) put(a.content, a.id);
  return tokens;
}

/** Byte-level BPE from tokenizer.json (llama.cpp's get_vocab_base + SpecialVocab merges). */
function bpeFromTokenizerJson(tj: Json, added: readonly AddedToken[], vocabSize: number, where: string): VocabParts {
  const addedById = new Map(added.map((a) => [a.id, a]));
  const raw = tokensOf(tj, added, vocabSize, where);
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const a = addedById.get(i);
    if (raw[i] === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TokenType.UNUSED);
    } else if (a) {
      const control = a.special || looksSpecial(a.content);
      tokens.push(control ? a.content : a.content.replaceAll('▁', ' '));
      types.push(control ? TokenType.CONTROL : TokenType.USER_DEFINED);
    } else {
      tokens.push(raw[i]!);
      types.push(TokenType.NORMAL);
    }
  }
  const rawMerges = ((tj.model as Json).merges ?? []) as unknown[];
  const merges = rawMerges.map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string')) {
      // The pair form allows spaces inside a part; encode them as GPT-2's space character, as llama.cpp does.
      return m.map((part: string) => part.replaceAll(' ', 'Ġ')).join(' ');
    }
    throw new InputError(`${where}: field 'model.merges[${i}]' is neither "a b" nor ["a", "b"]`);
  });
  return { tokens, types, merges, pre: detectPre(tj.pre_tokenizer, where), model: 'gpt2' };
}

/**
 * SPM from a tokenizer.json alone (a BPE model with byte fallback, no tokenizer.model). tokenizer.json has no
 * scores; llama.cpp's converter gives every token -1000, which makes SPM merge ties everywhere. We order tokens
 * by the merge that first produces them instead, so SPM merges in the same order HF's BPE does.
 */
function spmFromTokenizerJson(tj: Json, added: readonly AddedToken[], vocabSize: number, where: string): VocabParts {
  const addedById = new Map(added.map((a) => [a.id, a]));
  const raw = tokensOf(tj, added, vocabSize, where);
  const merges = (((tj.model as Json).merges ?? []) as unknown[]).map((m) =>
    typeof m === 'string' ? m.replace(' ', '') : Array.isArray(m) ? m.join('') : '',
  );
  const rank = new Map<string, number>();
  for (const [r, t] of merges.entries()) if (!rank.has(t)) rank.set(t, r);
  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const t = raw[i];
    const a = addedById.get(i);
    tokens.push(t ?? `[PAD${i}]`);
    scores.push(t !== undefined && rank.has(t) ? -rank.get(t)! : -1e9);
    if (t === undefined) types.push(TokenType.UNUSED);
    else if (/^<0x[0-9A-Fa-f]{2}>$/.test(t)) types.push(TokenType.BYTE);
    else if (a) types.push(a.special || looksSpecial(t) ? TokenType.CONTROL : TokenType.USER_DEFINED);
    else types.push(TokenType.NORMAL);
  }
  return { tokens, types, scores, pre: 'default', model: 'llama' };
}

/**
 * The GGUF tokenizer metadata of an HF checkpoint folder. `vocabSize` is config.json's vocab_size (the embedding
 * rows), which may exceed the tokenizer's size; the extra ids become unused [PADi] tokens as in llama.cpp.
 */
export function tokenizerMetadataFromHf(dir: string, vocabSize: number): GgufMetadata {
  const tjPath = join(dir, 'tokenizer.json');
  const spPath = join(dir, 'tokenizer.model');
  const tj = readJson(tjPath);
  const config = readJson(join(dir, 'tokenizer_config.json'));
  const modelConfig = readJson(join(dir, 'config.json'));
  if (!tj && !existsSync(spPath)) {
    throw new InputError(`${dir}: no tokenizer.json or tokenizer.model found (the vocabulary comes from them)`);
  }
  const added: AddedToken[] = ((tj?.added_tokens ?? []) as Json[]).map((a) => ({
    id: a.id as number,
    content: a.content as string,
    special: a.special === true,
  }));
  let parts: VocabParts;
  if (existsSync(spPath)) parts = spmFromSentencePiece(spPath, config, vocabSize);
  else {
    const model = (tj!.model ?? {}) as Json;
    if (model.type !== 'BPE') {
      throw new InputError(
        `${tjPath}: field 'model.type' is '${model.type}', which is not supported yet (supported: BPE)`,
      );
    }
    parts =
      model.byte_fallback === true
        ? spmFromTokenizerJson(tj!, added, vocabSize, tjPath)
        : bpeFromTokenizerJson(tj!, added, vocabSize, tjPath);
  }

  const md: GgufMetadata = new Map();
  md.set('tokenizer.ggml.model', kv.str(parts.model));
  md.set('tokenizer.ggml.pre', kv.str(parts.pre));
  md.set('tokenizer.ggml.tokens', kv.strings(parts.tokens));
  if (parts.scores) md.set('tokenizer.ggml.scores', kv.f32s(parts.scores));
  md.set('tokenizer.ggml.token_type', kv.i32s(parts.types));
  if (parts.merges) md.set('tokenizer.ggml.merges', kv.strings(parts.merges));

  // Special token ids: tokenizer_config names the tokens, tokenizer.json's added tokens give their ids; config.json
  // ids fill the gaps (gguf-py's SpecialVocab).
  const idOf = (content: string | undefined) => added.find((a) => a.content === content)?.id;
  const idKeys = { bos: 'bos_token_id', eos: 'eos_token_id', unk: 'unknown_token_id', pad: 'padding_token_id' };
  for (const [typ, key] of Object.entries(idKeys)) {
    const fromConfig = modelConfig?.[`${typ}_token_id`];
    const id =
      idOf(contentOf(config?.[`${typ}_token`])) ?? (Number.isInteger(fromConfig) ? (fromConfig as number) : undefined);
    if (id !== undefined && id >= 0 && id < vocabSize) md.set(`tokenizer.ggml.${key}`, kv.u32(id));
  }
  const addBos = config?.add_bos_token ?? templateAddsBos(tj, config);
  if (typeof addBos === 'boolean') md.set('tokenizer.ggml.add_bos_token', kv.bool(addBos));
  if (typeof config?.add_eos_token === 'boolean') md.set('tokenizer.ggml.add_eos_token', kv.bool(config.add_eos_token));
  const addPrefix = config?.add_prefix_space ?? (parts.addSpacePrefix === false ? false : undefined);
  if (typeof addPrefix === 'boolean') md.set('tokenizer.ggml.add_space_prefix', kv.bool(addPrefix));
  md.set('tokenizer.chat_template', kv.str(chatTemplateOfDir(dir, config)));
  return md;
}

/** A TemplateProcessing post-processor that starts with the BOS token means add_bos (SpecialVocab's reading). */
function templateAddsBos(tj: Json | undefined, config: Json | undefined): boolean | undefined {
  const post = tj?.post_processor as Json | undefined;
  if (!post) return undefined;
  for (const p of (post.processors as Json[] | undefined) ?? [post]) {
    if (p.type !== 'TemplateProcessing') continue;
    const single = (p.single ?? []) as Json[];
    const first = (single[0]?.SpecialToken as Json | undefined)?.id;
    if (single.length > 1 && first) return first === contentOf(config?.bos_token);
  }
  return undefined;
}

function chatTemplateOfDir(dir: string, config: Json | undefined): string {
  const t = config?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const def = t.find((x) => (x as Json).name === 'default') as Json | undefined;
    if (typeof def?.template === 'string') return def.template;
  }
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFileSync(jinja, 'utf8');
  const json = readJson(join(dir, 'chat_template.json'));
  if (typeof json?.chat_template === 'string') return json.chat_template;
  return CHATML_TEMPLATE;
}

// --- writing ---------------------------------------------------------------------------------------------------

function arrayOf<T>(md: GgufMetadata, key: string): readonly T[] {
  const v = md.get(key);
  return v?.type === GgufValueType.ARRAY ? Array.from(v.value as unknown as ArrayLike<T>) : [];
}
const u32Of = (md: GgufMetadata, key: string) => {
  const v = md.get(key);
  return v && typeof v.value === 'number' ? v.value : undefined;
};
const boolOf = (md: GgufMetadata, key: string) => {
  const v = md.get(key);
  return typeof v?.value === 'boolean' ? v.value : undefined;
};

/** Merges for an SPM vocabulary as HF's Llama converter derives them: every split of a token into two tokens. */
function spmMerges(tokens: readonly string[], scores: readonly number[], types: readonly number[]): [string, string][] {
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const merges: { pair: [string, string]; score: number; l: number; r: number }[] = [];
  for (const [i, t] of tokens.entries()) {
    if (types[i] !== TokenType.NORMAL) continue;
    const chars = Array.from(t);
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join('');
      const b = chars.slice(k).join('');
      const l = ids.get(a);
      const r = ids.get(b);
      if (l !== undefined && r !== undefined) merges.push({ pair: [a, b], score: scores[i], l, r });
    }
  }
  merges.sort((x, y) => y.score - x.score || x.l - y.l || x.r - y.r);
  return merges.map((m) => m.pair);
}

/**
 * Writes tokenizer.json and tokenizer_config.json for a GGUF's tokenizer, and tokenizer.model for SPM. Returns the
 * special-token ids for config.json.
 */
export async function writeHfTokenizer(dir: string, md: GgufMetadata): Promise<{ bos?: number; eos?: number }> {
  const model = md.get('tokenizer.ggml.model')?.value;
  if (model !== 'llama' && model !== 'gpt2') {
    throw new InputError(
      `field 'tokenizer.ggml.model' is '${model}', which cannot be exported yet (supported: llama, gpt2)`,
    );
  }
  const tokens = arrayOf<string>(md, 'tokenizer.ggml.tokens');
  const types = arrayOf<number>(md, 'tokenizer.ggml.token_type');
  const typeOf = (i: number) => types[i] ?? TokenType.NORMAL;
  const scores = arrayOf<number>(md, 'tokenizer.ggml.scores');
  const text = (key: string) => {
    const id = u32Of(md, key);
    return id === undefined ? undefined : tokens[id];
  };
  const specialTypes: number[] = [TokenType.CONTROL, TokenType.UNKNOWN, TokenType.USER_DEFINED];
  const added = tokens
    .map((t, id) => ({ t, id }))
    .filter(({ id }) => specialTypes.includes(typeOf(id)))
    .map(({ t, id }) => ({
      id,
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: typeOf(id) === TokenType.USER_DEFINED,
      special: typeOf(id) !== TokenType.USER_DEFINED,
    }));
  const bos = text('tokenizer.ggml.bos_token_id');
  const addBos = boolOf(md, 'tokenizer.ggml.add_bos_token');
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  const postProcessor =
    addBos && bos !== undefined
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [u32Of(md, 'tokenizer.ggml.bos_token_id')], tokens: [bos] } },
        }
      : null;

  let tokenizerJson: Json;
  if (model === 'llama') {
    const addPrefix = boolOf(md, 'tokenizer.ggml.add_space_prefix') ?? true;
    tokenizerJson = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: {
        type: 'Sequence',
        normalizers: [
          ...(addPrefix ? [{ type: 'Prepend', prepend: '▁' }] : []),
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: null,
      post_processor: postProcessor,
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          ...(addPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
        ],
      },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: text('tokenizer.ggml.unknown_token_id') ?? null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges: spmMerges(
          tokens,
          scores,
          tokens.map((_, i) => typeOf(i)),
        ),
      },
    };
    await writeSentencePieceModel(join(dir, 'tokenizer.model'), {
      pieces: tokens.map((piece, i) => ({ piece, score: scores[i] ?? 0, type: typeOf(i) || TokenType.NORMAL })),
      modelType: 2,
      byteFallback: tokens.some((_, i) => typeOf(i) === TokenType.BYTE),
      addDummyPrefix: addPrefix,
    });
  } else {
    const preName = md.get('tokenizer.ggml.pre')?.value as string;
    const split = BPE_PRE_TYPES[preName]?.split;
    if (!split) throw new InputError(`field 'tokenizer.ggml.pre' is '${preName}', which cannot be exported yet`);
    tokenizerJson = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: PRE_TOKENIZERS[split].json,
      post_processor: postProcessor ?? {
        type: 'ByteLevel',
        add_prefix_space: false,
        trim_offsets: false,
        use_regex: false,
      },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: BPE_PRE_TYPES[preName].ignoreMerges ?? false,
        vocab,
        merges: arrayOf<string>(md, 'tokenizer.ggml.merges').map((m) => {
          const sp = m.indexOf(' ', 1);
          return [m.slice(0, sp), m.slice(sp + 1)];
        }),
      },
    };
  }

  const config: Json = { tokenizer_class: model === 'llama' ? 'LlamaTokenizerFast' : 'PreTrainedTokenizerFast' };
  if (addBos !== undefined) config.add_bos_token = addBos;
  const addEos = boolOf(md, 'tokenizer.ggml.add_eos_token');
  if (addEos !== undefined) config.add_eos_token = addEos;
  const addPrefixKv = boolOf(md, 'tokenizer.ggml.add_space_prefix');
  if (addPrefixKv !== undefined) config.add_prefix_space = addPrefixKv;
  for (const [name, key] of [
    ['bos_token', 'tokenizer.ggml.bos_token_id'],
    ['eos_token', 'tokenizer.ggml.eos_token_id'],
    ['unk_token', 'tokenizer.ggml.unknown_token_id'],
    ['pad_token', 'tokenizer.ggml.padding_token_id'],
  ] as const) {
    const t = text(key);
    if (t !== undefined) config[name] = t;
  }
  const template = md.get('tokenizer.chat_template');
  config.chat_template = template?.type === GgufValueType.STRING ? template.value : CHATML_TEMPLATE;
  config.clean_up_tokenization_spaces = false;
  await writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson, null, 1));
  await writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  return { bos: u32Of(md, 'tokenizer.ggml.bos_token_id'), eos: u32Of(md, 'tokenizer.ggml.eos_token_id') };
}

/** An HF checkpoint's tokenizer through @huggingface/tokenizers (tokenizer.json + tokenizer_config.json). */
export function loadHfTokenizer(dir: string): HfTokenizer {
  const tj = readJson(join(dir, 'tokenizer.json'));
  if (!tj) throw new InputError(`${dir}: tokenizer.json is missing`);
  return new HfTokenizer(tj, readJson(join(dir, 'tokenizer_config.json')) ?? {});
}
