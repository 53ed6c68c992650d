// The vocabulary as llama.cpp loads it from GGUF metadata (src/llama-vocab.cpp, llama_vocab::impl::load): token
// texts, scores and attributes, BPE merge ranks, special token ids, the add_bos/add_eos flags, and the per-model
// defaults and token-attribute fix-ups llama.cpp applies. Everything tokenization depends on is decided here.

import { GgufFormatError } from '../../errors.ts';
import { GgufValueType, TokenType } from '../../gguf/constants.ts';
import type { GgufMetadata } from '../../gguf/metadata.ts';

/** llama_token_attr bits. */
export const TokenAttr = {
  UNDEFINED: 0,
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  NORMALIZED: 1 << 6,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
  SINGLE_WORD: 1 << 9,
} as const;

const ATTR_OF_TYPE: Record<number, number> = {
  [TokenType.NORMAL]: TokenAttr.NORMAL,
  [TokenType.UNKNOWN]: TokenAttr.UNKNOWN,
  [TokenType.CONTROL]: TokenAttr.CONTROL,
  [TokenType.USER_DEFINED]: TokenAttr.USER_DEFINED,
  [TokenType.UNUSED]: TokenAttr.UNUSED,
  [TokenType.BYTE]: TokenAttr.BYTE,
};

export const TOKENIZER_MODELS = ['llama', 'gpt2'] as const;
export type TokenizerModel = (typeof TOKENIZER_MODELS)[number];

/** The BPE pre-tokenizers we implement: which word splitter runs, and the flags llama.cpp sets with it. */
export type PreSplit = 'llama3' | 'qwen2' | 'gpt2' | 'digits+gpt2';
interface PreType {
  readonly split: PreSplit;
  readonly ignoreMerges?: boolean;
  readonly addBos?: boolean;
  readonly cleanSpaces: boolean;
}
const LLAMA3: PreType = { split: 'llama3', ignoreMerges: true, addBos: true, cleanSpaces: true };
const GPT2: PreType = { split: 'gpt2', cleanSpaces: true };
/** `tokenizer.ggml.pre` values we support, with llama.cpp's aliases. */
export const BPE_PRE_TYPES: Readonly<Record<string, PreType>> = {
  'llama-bpe': LLAMA3,
  llama3: LLAMA3,
  'llama-v3': LLAMA3,
  qwen2: { split: 'qwen2', cleanSpaces: false },
  'deepseek-r1-qwen': { split: 'qwen2', cleanSpaces: false },
  stablelm2: { split: 'qwen2', cleanSpaces: true },
  'gpt-2': GPT2,
  'phi-2': GPT2,
  mpt: GPT2,
  olmo: GPT2,
  smollm: { split: 'digits+gpt2', cleanSpaces: false },
  starcoder: { split: 'digits+gpt2', cleanSpaces: true },
};

export const NULL_TOKEN = -1;

export interface Vocab {
  readonly model: TokenizerModel;
  /** `tokenizer.ggml.pre` (BPE only). */
  readonly pre?: string;
  readonly split?: PreSplit;
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly attrs: Uint16Array;
  readonly ids: ReadonlyMap<string, number>;
  /** BPE merge rank by `left + '\n' + right` (newlines never occur inside byte-level tokens). */
  readonly mergeRanks: ReadonlyMap<string, number>;
  readonly bos: number;
  readonly eos: number;
  readonly eot: number;
  readonly unk: number;
  readonly pad: number;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  readonly escapeWhitespaces: boolean;
  readonly cleanSpaces: boolean;
  readonly ignoreMerges: boolean;
  /** Tokens matched in raw text before tokenization (control, user-defined, unknown), longest first. */
  readonly specialTokens: readonly number[];
  /** Tokens that end generation. */
  readonly eog: ReadonlySet<number>;
}

export const mergeKey = (left: string, right: string) => `${left}\n${right}`;

// Token texts llama.cpp treats as special whatever their stored type (see load(): EOT/EOM/FIM/EOG detection).
const EOT_TEXTS = [
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '<｜end▁of▁sentence｜>',
  '<end_of_utterance>',
];
const FIM_TEXTS: Record<string, readonly string[]> = {
  fim_pre: [
    '<|fim_prefix|>',
    '<fim-prefix>',
    '<fim_prefix>',
    '<｜fim▁begin｜>',
    '<PRE>',
    '▁<PRE>',
    '<|code_prefix|>',
    '<|prefix|>',
  ],
  fim_suf: [
    '<|fim_suffix|>',
    '<fim-suffix>',
    '<fim_suffix>',
    '<｜fim▁hole｜>',
    '<SUF>',
    '▁<SUF>',
    '<|code_suffix|>',
    '<|suffix|>',
  ],
  fim_mid: [
    '<|fim_middle|>',
    '<fim-middle>',
    '<fim_middle>',
    '<｜fim▁end｜>',
    '<MID>',
    '▁<MID>',
    '<|code_middle|>',
    '<|middle|>',
  ],
  fim_pad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'],
  fim_rep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  fim_sep: ['<|file_sep|>'],
};
const EOG_TEXTS = [
  ...EOT_TEXTS,
  '<|return|>',
  '<|call|>',
  '<|flush|>',
  '<|calls|>',
  '</s>',
  '<|eom_id|>',
  '[EOS]',
  '<eos>',
  '<turn|>',
  '<|tool_response>',
  '[e~[',
];

function stringArray(md: GgufMetadata, key: string, where: string): readonly string[] | undefined {
  const v = md.get(key);
  if (!v) return undefined;
  if (v.type !== GgufValueType.ARRAY || v.itemType !== GgufValueType.STRING) {
    throw new GgufFormatError(`${where}: field '${key}' must be an array of strings`);
  }
  return v.value as readonly string[];
}

function scalar<T>(md: GgufMetadata, key: string, type: GgufValueType, where: string): T | undefined {
  const v = md.get(key);
  if (!v) return undefined;
  if (v.type !== type) {
    throw new GgufFormatError(
      `${where}: field '${key}' must be ${GgufValueType[type]}, but is ${GgufValueType[v.type]}`,
    );
  }
  return v.value as T;
}

/** Builds the vocabulary from GGUF metadata exactly as llama.cpp does; `where` (the file) prefixes errors. */
export function vocabFromGguf(md: GgufMetadata, where = 'model'): Vocab {
  const str = (k: string) => scalar<string>(md, k, GgufValueType.STRING, where);
  const bool = (k: string) => scalar<boolean>(md, k, GgufValueType.BOOL, where);
  const model = str('tokenizer.ggml.model');
  if (model === undefined) throw new GgufFormatError(`${where}: field 'tokenizer.ggml.model' is missing`);
  if (!(TOKENIZER_MODELS as readonly string[]).includes(model)) {
    throw new GgufFormatError(
      `${where}: field 'tokenizer.ggml.model' is '${model}', which is not supported yet (supported: ${TOKENIZER_MODELS.join(', ')})`,
    );
  }
  const isBpe = model === 'gpt2';
  let pre: string | undefined;
  let preType: PreType | undefined;
  if (isBpe) {
    pre = str('tokenizer.ggml.pre');
    preType = pre === undefined ? undefined : BPE_PRE_TYPES[pre];
    if (!preType) {
      throw new GgufFormatError(
        `${where}: field 'tokenizer.ggml.pre' is ${pre === undefined ? 'missing' : `'${pre}'`}, which is not supported yet (supported: ${Object.keys(BPE_PRE_TYPES).join(', ')})`,
      );
    }
  }

  const texts = stringArray(md, 'tokenizer.ggml.tokens', where);
  if (!texts) throw new GgufFormatError(`${where}: field 'tokenizer.ggml.tokens' is missing`);
  const n = texts.length;
  const scoresKv = md.get('tokenizer.ggml.scores');
  const scores = new Float32Array(n);
  if (scoresKv) {
    const ok =
      scoresKv.type === GgufValueType.ARRAY &&
      (scoresKv.itemType === GgufValueType.FLOAT32 || scoresKv.itemType === GgufValueType.INT32);
    if (!ok || scoresKv.value.length < n) {
      throw new GgufFormatError(`${where}: field 'tokenizer.ggml.scores' must be an f32 or i32 array of ${n} values`);
    }
    for (let i = 0; i < n; i++) scores[i] = Number(scoresKv.value[i]);
  }
  const typesKv = md.get('tokenizer.ggml.token_type');
  const attrs = new Uint16Array(n).fill(TokenAttr.NORMAL);
  if (typesKv) {
    if (typesKv.type !== GgufValueType.ARRAY || typesKv.itemType !== GgufValueType.INT32 || typesKv.value.length < n) {
      throw new GgufFormatError(`${where}: field 'tokenizer.ggml.token_type' must be an i32 array of ${n} values`);
    }
    for (let i = 0; i < n; i++) attrs[i] = ATTR_OF_TYPE[Number(typesKv.value[i])] ?? TokenAttr.UNDEFINED;
  }
  const tokens = texts.map((t, i) => (t.length === 0 ? `[EMPTY_${i}]` : t));
  const ids = new Map<string, number>();
  for (const [i, t] of tokens.entries()) {
    if (ids.has(t))
      throw new GgufFormatError(`${where}: field 'tokenizer.ggml.tokens' has '${t}' twice (ids ${ids.get(t)}, ${i})`);
    ids.set(t, i);
  }

  const mergeRanks = new Map<string, number>();
  if (isBpe) {
    const merges = stringArray(md, 'tokenizer.ggml.merges', where);
    if (!merges)
      throw new GgufFormatError(`${where}: field 'tokenizer.ggml.merges' is missing (a gpt2 tokenizer needs it)`);
    for (const [rank, m] of merges.entries()) {
      const sp = m.indexOf(' ', 1);
      const key = sp < 0 ? mergeKey('', '') : mergeKey(m.slice(0, sp), m.slice(sp + 1));
      if (!mergeRanks.has(key)) mergeRanks.set(key, rank); // the first occurrence wins
    }
  }

  // Special token ids: per-model defaults, disabled when out of range, then overridden by metadata in range.
  const special = (key: string, fallback: number) => {
    let id = fallback >= n ? NULL_TOKEN : fallback;
    const v = md.get(`tokenizer.ggml.${key}`);
    if (v && v.type !== GgufValueType.ARRAY && typeof v.value !== 'string' && typeof v.value !== 'boolean') {
      const x = Number(v.value);
      if (x >= 0 && x < n) id = x;
    }
    return id;
  };
  const has = (key: string) => special(key, NULL_TOKEN) !== NULL_TOKEN;
  const bos = special('bos_token_id', isBpe ? 11 : 1);
  const eos = special('eos_token_id', isBpe ? 11 : 2);
  const unk = special('unknown_token_id', isBpe ? NULL_TOKEN : 0);
  const pad = special('padding_token_id', NULL_TOKEN);
  let eot = special('eot_token_id', NULL_TOKEN);

  // Text-based detection: tokens that look like EOT/FIM markers become control tokens when not declared.
  const markControl = (id: number) => {
    attrs[id] |= TokenAttr.CONTROL;
  };
  for (const [t, id] of ids) {
    if (EOT_TEXTS.includes(t) && eot === NULL_TOKEN) {
      eot = id;
      markControl(id);
    }
    if (t === '<|eom_id|>' && !has('eom_token_id')) markControl(id);
    for (const [kind, names] of Object.entries(FIM_TEXTS)) {
      const declared = has(`${kind}_token_id`) || (kind === 'fim_pre' && has('prefix_token_id'));
      if (!declared && names.includes(t)) markControl(id);
    }
  }
  for (const [t, id] of ids) {
    if (attrs[id] & TokenAttr.CONTROL && !(attrs[id] & TokenAttr.UNUSED) && t.includes('unused')) {
      attrs[id] |= TokenAttr.UNUSED;
    }
  }
  const eog = new Set<number>();
  for (const [t, id] of ids) {
    if (EOG_TEXTS.includes(t)) {
      eog.add(id);
      markControl(id);
    }
  }
  // gpt-oss: these are always rendered.
  for (const t of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
    const id = ids.get(t);
    if (id !== undefined) attrs[id] = TokenAttr.USER_DEFINED;
  }
  if (eos !== NULL_TOKEN) eog.add(eos);
  if (eot !== NULL_TOKEN) eog.add(eot);
  const eogText = (t: string) => [...eog].some((id) => tokens[id] === t);
  const endId = ids.get('<|end|>');
  const hasCall = eogText('<|call|>') || eogText('<|calls|>');
  if (endId !== undefined && eog.has(endId) && hasCall && (eogText('<|return|>') || eogText('<|flush|>'))) {
    eog.delete(endId);
    attrs[endId] = TokenAttr.USER_DEFINED;
  }
  const sId = ids.get('</s>');
  if (sId !== undefined && eog.has(sId) && eogText('<|tool_response>')) {
    eog.delete(sId);
    attrs[sId] = TokenAttr.NORMAL;
  }

  const specialTokens = tokens
    .map((_, id) => id)
    .filter((id) => attrs[id] & (TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN))
    .sort((a, b) => tokens[b].length - tokens[a].length || a - b);

  // Attributes llama.cpp sets by model name.
  const name = (str('general.name') ?? '').toLowerCase();
  if (name.includes('phi-3') || name.includes('phi3')) {
    for (const id of specialTokens) attrs[id] |= TokenAttr.RSTRIP;
    const set = (t: string, on: boolean) => {
      const id = ids.get(t);
      if (id !== undefined) attrs[id] = on ? attrs[id] | TokenAttr.RSTRIP : attrs[id] & ~TokenAttr.RSTRIP;
    };
    set('</s>', true);
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, false);
  } else if (name.includes('modern-bert') && ids.has('[MASK]')) {
    attrs[ids.get('[MASK]')!] |= TokenAttr.LSTRIP;
  }

  const addBos = bool('tokenizer.ggml.add_bos_token') ?? (isBpe ? (preType?.addBos ?? false) : true);
  const addEos = bool('tokenizer.ggml.add_eos_token') ?? false;
  if (addBos && bos === NULL_TOKEN)
    throw new GgufFormatError(`${where}: add_bos_token is set but there is no BOS token`);
  if (addEos && eos === NULL_TOKEN)
    throw new GgufFormatError(`${where}: add_eos_token is set but there is no EOS token`);
  return {
    model: model as TokenizerModel,
    pre,
    split: preType?.split,
    tokens,
    scores,
    attrs,
    ids,
    mergeRanks,
    bos,
    eos,
    eot,
    unk,
    pad,
    addBos,
    addEos,
    addSpacePrefix: bool('tokenizer.ggml.add_space_prefix') ?? !isBpe,
    escapeWhitespaces: !isBpe,
    cleanSpaces: isBpe ? preType!.cleanSpaces : false,
    ignoreMerges: preType?.ignoreMerges ?? false,
    specialTokens,
    eog,
  };
}
