// `meetara init-model`: a randomly initialised llama/qwen2 model with a byte-fallback SPM vocabulary that
// llama.cpp accepts. Weights follow nanoGPT: N(0, 0.02), residual projections scaled by 1/sqrt(2·layers),
// norms at 1, biases at 0. Tensors are generated one at a time as the writer reaches them.

import { GgufFormatError, InputError } from '../errors.ts';
import { GgmlType, GgufValueType, LlamaFileType, TokenType } from '../gguf/constants.ts';
import {
  archMetadata,
  type LlamaArch,
  type LlamaHParams,
  llamaTensorLayout,
  parseBlockTensorName,
} from '../gguf/llama.ts';
import { type GgufMetadata, getBool, getInt, getString, kv } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { writeGguf } from '../gguf/writer.ts';
import { Rng } from '../util/random.ts';
import { CHATML_SPECIAL_TOKENS, CHATML_TEMPLATE } from './chat-template.ts';
import { bpeTokenizerMetadata, buildBpeVocabulary } from './tokenizer/bpe-vocab.ts';

export interface InitModelOptions {
  readonly arch: LlamaArch;
  /** Tokens in the vocabulary; may be left out when `vocabulary` is given (it must match when both are). */
  readonly vocabSize?: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads?: number;
  readonly ffn: number;
  readonly contextLength: number;
  readonly seed?: number;
  readonly tiedEmbeddings?: boolean;
  readonly ropeFreqBase?: number;
  readonly rmsNormEps?: number;
  readonly name?: string;
  /** `spm` (default): byte-fallback SentencePiece vocabulary; `bpe`: byte-level BPE with pre-tokenizer `bpePre`. */
  readonly tokenizer?: 'spm' | 'bpe';
  /** `tokenizer.ggml.pre` for a BPE vocabulary (default llama-bpe). */
  readonly bpePre?: string;
  /** An SPM vocabulary to use instead of the built-in one (for example from trainTokenizer or readSpmVocabulary). */
  readonly vocabulary?: Vocabulary;
}

export const INIT_STD = 0.02;

const COMMON_WORDS = `the of and to a in is you that it he was for on are as with his they I at be this have from or one
had by word but not what all were we when your can said there use an each which she do how their if will up other about
out many then them these so some her would make like him into time has look two more write go see number no way could
people my than first water been call who oil its now find long down day did get come made may part feel help care
support listen understand health mind body stress anxiety sad happy okay sorry hear here glad thank thanks please
really very well hard try sleep work family friend doctor pain heart life need want know think talk ask take give
good bad better best today tomorrow week month year always never often sometimes maybe because should must might
learn study school teach business money plan goal step small big new old right left sure just also only even still
again back after before over under through between while where why who whom whose yes hello hi`.split(/\s+/);

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => c !== ' ');
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export interface Vocabulary {
  readonly tokens: string[];
  readonly scores: number[];
  readonly types: number[];
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
}

/**
 * A byte-fallback SPM vocabulary of exactly `size` tokens: control tokens, the 256 byte tokens, printable
 * characters, common English words and letter pairs (with and without the ▁ word marker), then unused slots.
 */
export function buildSpmVocabulary(size: number): Vocabulary {
  const specials = ['<unk>', '<s>', '</s>', ...CHATML_SPECIAL_TOKENS];
  const minSize = specials.length + 256;
  if (size < minSize)
    throw new InputError(`--vocab ${size} is too small: a byte-fallback vocabulary needs at least ${minSize}`);
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (t: string, type: TokenType) => {
    if (tokens.length >= size || seen.has(t)) return;
    seen.add(t);
    tokens.push(t);
    types.push(type);
  };
  add('<unk>', TokenType.UNKNOWN);
  for (const s of specials.slice(1)) add(s, TokenType.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE);
  add('▁', TokenType.NORMAL);
  for (const c of PRINTABLE) add(c, TokenType.NORMAL);
  for (const c of PRINTABLE) add(`▁${c}`, TokenType.NORMAL);
  for (const w of COMMON_WORDS) add(`▁${w}`, TokenType.NORMAL);
  for (const a of LETTERS) for (const b of LETTERS) add(a + b, TokenType.NORMAL);
  for (const a of LETTERS) for (const b of LETTERS) add(`▁${a}${b}`, TokenType.NORMAL);
  for (const w of COMMON_WORDS) add(w, TokenType.NORMAL);
  for (let i = 0; tokens.length < size; i++) add(`<unused${i}>`, TokenType.UNUSED);
  // SPM merges prefer higher scores: earlier (more useful) pieces win.
  const scores = tokens.map((_, i) => (types[i] === TokenType.NORMAL ? -i : 0));
  return { tokens, scores, types, bos: 1, eos: tokens.indexOf('<|im_end|>'), unk: 0 };
}

/** The GGUF tokenizer metadata of an SPM vocabulary: BOS added, EOS not, a space prefix, padding = <unk>. */
export function spmTokenizerMetadata(vocab: Vocabulary): GgufMetadata {
  return new Map([
    ['tokenizer.ggml.model', kv.str('llama')],
    ['tokenizer.ggml.pre', kv.str('default')],
    ['tokenizer.ggml.tokens', kv.strings(vocab.tokens)],
    ['tokenizer.ggml.scores', kv.f32s(vocab.scores)],
    ['tokenizer.ggml.token_type', kv.i32s(vocab.types)],
    ['tokenizer.ggml.bos_token_id', kv.u32(vocab.bos)],
    ['tokenizer.ggml.eos_token_id', kv.u32(vocab.eos)],
    ['tokenizer.ggml.unknown_token_id', kv.u32(vocab.unk)],
    ['tokenizer.ggml.padding_token_id', kv.u32(vocab.unk)],
    ['tokenizer.ggml.add_bos_token', kv.bool(true)],
    ['tokenizer.ggml.add_eos_token', kv.bool(false)],
    ['tokenizer.ggml.add_space_prefix', kv.bool(true)],
  ]);
}

/**
 * Reads the SPM vocabulary of a GGUF (a model, or a tokenizer from `meetara tokenizer-train`). Only vocabularies
 * that spmTokenizerMetadata writes back unchanged are accepted, so a model built on it tokenizes the same way.
 */
export function readSpmVocabulary(path: string): Vocabulary {
  const file = GgufFile.open(path);
  try {
    const md = file.metadata;
    const where = `${path}: `;
    const model = md.has('tokenizer.ggml.model') ? getString(md, 'tokenizer.ggml.model') : undefined;
    if (model !== 'llama') {
      throw new InputError(
        `${where}tokenizer.ggml.model is ${model === undefined ? 'missing' : `'${model}'`}; --vocab-from takes a 'llama' (SPM) vocabulary, such as one from meetara tokenizer-train`,
      );
    }
    const array = (key: string, itemTypes: GgufValueType[]) => {
      const v = md.get(key);
      if (!v || v.type !== GgufValueType.ARRAY || !itemTypes.includes(v.itemType)) {
        throw new GgufFormatError(`${where}field '${key}' is missing or not an array of the right type`);
      }
      return Array.from(v.value as ArrayLike<string | number>);
    };
    const tokens = array('tokenizer.ggml.tokens', [GgufValueType.STRING]) as string[];
    const scores = array('tokenizer.ggml.scores', [GgufValueType.FLOAT32]) as number[];
    const types = array('tokenizer.ggml.token_type', [GgufValueType.INT32]) as number[];
    if (scores.length !== tokens.length || types.length !== tokens.length) {
      throw new GgufFormatError(
        `${where}tokenizer scores and token types must have one entry per token (${tokens.length})`,
      );
    }
    const flag = (key: string, fallback: boolean) => (md.has(key) ? getBool(md, key) : fallback);
    const expected = { add_bos_token: true, add_eos_token: false, add_space_prefix: true };
    for (const [k, want] of Object.entries(expected)) {
      if (flag(`tokenizer.ggml.${k}`, want) !== want) {
        throw new InputError(
          `${where}tokenizer.ggml.${k} is ${!want}; init-model writes ${want}, which would change tokenization`,
        );
      }
    }
    const id = (key: string, fallback: number) => {
      const n = md.has(key) ? getInt(md, key) : fallback;
      if (n < 0 || n >= tokens.length) throw new GgufFormatError(`${where}${key} = ${n} is not a token id`);
      return n;
    };
    return {
      tokens,
      scores,
      types,
      bos: id('tokenizer.ggml.bos_token_id', 1),
      eos: id('tokenizer.ggml.eos_token_id', 2),
      unk: id('tokenizer.ggml.unknown_token_id', 0),
    };
  } finally {
    file.close();
  }
}

function hparamsOf(o: InitModelOptions): LlamaHParams {
  const kvHeads = o.kvHeads ?? o.heads;
  const given = o.vocabulary?.tokens.length;
  if (given !== undefined && o.vocabSize !== undefined && o.vocabSize !== given) {
    throw new InputError(`--vocab ${o.vocabSize} does not match the given vocabulary, which has ${given} tokens`);
  }
  const vocabSize = given ?? o.vocabSize;
  if (vocabSize === undefined)
    throw new InputError('a vocabulary size (--vocab) or a vocabulary (--vocab-from) is needed');
  const positive = {
    vocab: vocabSize,
    dim: o.dim,
    layers: o.layers,
    heads: o.heads,
    'kv-heads': kvHeads,
    ffn: o.ffn,
    ctx: o.contextLength,
  };
  for (const [k, v] of Object.entries(positive)) {
    if (!Number.isInteger(v) || v <= 0) throw new InputError(`--${k} must be a positive integer, got ${v}`);
  }
  if (o.dim % o.heads !== 0) throw new InputError(`--dim ${o.dim} must be divisible by --heads ${o.heads}`);
  if ((o.dim / o.heads) % 2 !== 0) throw new InputError(`head size ${o.dim / o.heads} must be even for RoPE`);
  if (o.heads % kvHeads !== 0) throw new InputError(`--heads ${o.heads} must be a multiple of --kv-heads ${kvHeads}`);
  return {
    arch: o.arch,
    vocabSize,
    dim: o.dim,
    layers: o.layers,
    heads: o.heads,
    kvHeads,
    ffn: o.ffn,
    contextLength: o.contextLength,
    ropeFreqBase: o.ropeFreqBase ?? (o.arch === 'qwen2' ? 1_000_000 : 10_000),
    rmsNormEps: o.rmsNormEps ?? 1e-5,
    tiedEmbeddings: o.tiedEmbeddings ?? false,
  };
}

/** Standard deviation nanoGPT uses for a tensor: residual projections are scaled down with depth. */
function initStd(name: string, layers: number): number | 'ones' | 'zeros' {
  if (name.endsWith('norm.weight')) return 'ones';
  if (name.endsWith('.bias')) return 'zeros';
  const kind = parseBlockTensorName(name)?.kind;
  if (kind === 'attn_output' || kind === 'ffn_down') return INIT_STD / Math.sqrt(2 * layers);
  return INIT_STD;
}

/** Writes a random model to `out` and returns its hyperparameters. */
export async function initModel(out: string, options: InitModelOptions): Promise<LlamaHParams> {
  const h = hparamsOf(options);
  const metadata = archMetadata(h);
  metadata.set('general.name', kv.str(options.name ?? `meetara-init-${h.arch}-${h.dim}x${h.layers}`));
  metadata.set('general.file_type', kv.u32(LlamaFileType.ALL_F32));
  if (options.vocabulary && options.tokenizer === 'bpe') {
    throw new InputError('a given vocabulary is SPM; leave out --tokenizer bpe');
  }
  if (options.tokenizer === 'bpe') {
    const pre = options.bpePre ?? 'llama-bpe';
    for (const [k, v] of bpeTokenizerMetadata(buildBpeVocabulary(h.vocabSize, pre), pre)) metadata.set(k, v);
  } else {
    const vocab = options.vocabulary ?? buildSpmVocabulary(h.vocabSize);
    for (const [k, v] of spmTokenizerMetadata(vocab)) metadata.set(k, v);
  }
  metadata.set('tokenizer.chat_template', kv.str(CHATML_TEMPLATE));

  const rng = new Rng(options.seed ?? 0);
  const tensors = llamaTensorLayout(h).map((t) => ({
    name: t.name,
    type: GgmlType.F32,
    ne: t.ne,
    data: () => {
      const n = t.ne.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      const std = initStd(t.name, h.layers);
      if (std === 'ones') values.fill(1);
      else if (std !== 'zeros') for (let i = 0; i < n; i++) values[i] = rng.normal() * std;
      return new Uint8Array(values.buffer);
    },
  }));
  await writeGguf(out, { metadata, tensors });
  return h;
}
