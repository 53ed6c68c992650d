// A seeded tokenizer corpus: strings built to hit every branch of the SPM and BPE tokenizers and their
// pre-tokenizers (letters, digit runs, whitespace runs, punctuation, contractions, scripts without spaces,
// emoji sequences, special-token text and near-misses), plus a fixed list of known tricky cases.

import { renderChat } from '../../src/model/chat-template.ts';
import { Rng } from '../../src/util/random.ts';

export const TRICKY: readonly string[] = [
  '',
  ' ',
  '  ',
  '   ',
  '\n',
  '\n\n',
  '\t',
  ' \n ',
  '\r\n',
  '\r\n\r\n',
  ' \r\n\t x',
  'a',
  'Hello',
  ' Hello',
  '  Hello',
  'Hello ',
  'Hello  ',
  'Hello world',
  'Hello, world!',
  "I'm here. You're there. We've been. They'll go. She'd say. It's fine. Don't.",
  "'S 'T 'RE 'VE 'M 'LL 'D 's't're",
  "''''''```````\"\"\"\"......!!!!!!??????",
  "don't . , ? ! wasn't \" ' \"",
  " ' ",
  "a ' b ' c",
  ' .x ,y ?z !w',
  '3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3',
  '1234567890',
  '0.5 -12 +7 1e-5 0x1F 1_000_000 ½ ¾',
  '①②③ ⅫⅣ ٣٤٥ १२३ 𝟘𝟙𝟚 ¹²³',
  '𝐀𝐁𝐂 ℌ ℍ Ⓐ ß ẞ ǅ İ ﬁ',
  'é e\u0301 ñ n\u0303 Å A\u030a',
  '日本語のテキスト',
  '我想在apple工作1314151天～',
  '안녕하세요 세계',
  'Здравствуй, мир! нещо на Български',
  'مرحبا بالعالم',
  'שלום עולם',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  'កាន់តែពិសេសអាច',
  'Γειά σου Κόσμε',
  '🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙',
  '👩\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 👍🏽 ❤️ 🇩🇪',
  '\u200b\u200c\u200d\ufeff',
  '\u00a0nbsp\u3000ideographic\u2028line\u2029para\u0085nel',
  '\u0000null\u0001ctrl\u007f',
  '\ud800 lone surrogate \udfff',
  '\ue000 private \uf8ff',
  'new in Unicode 16/17: \u{10d40}\u{10d41} \u{16100} \u{1e5d0} \u{11380}',
  '▁',
  '▁▁hello',
  'Ġ',
  'ĠĠ',
  'Ċ',
  '<0x41>',
  '<0x0A>',
  '<unk>',
  '<s>',
  '</s>',
  '<s>hi</s>',
  '<|im_start|>',
  '<|im_end|>',
  '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  '<|im_start|><|im_end|><|im_start|>',
  '<|im_start',
  '<|im_',
  'im_start|>',
  '<<|im_end|>>',
  '<|im_start|>>',
  ' <|im_start|> ',
  '\n<|im_end|>\n',
  'x<|endoftext|>y',
  '<|endoftext|>',
  '<tool_call>{"name": "f"}</tool_call>',
  '<tool_call><tool_call>',
  'def f(x):\n\treturn x ** 2  # square\n',
  '    indented\n        more\n',
  'if (a && b) { return [1, 2, 3].map(x => x * 2); }',
  '<html><body class="x">&amp; &lt;</body></html>',
  'SELECT * FROM users WHERE id = 42;',
  '$$ \\frac{a}{b} $$ \\alpha_1^2',
  'https://example.com/path?q=1&r=2#frag',
  'user@example.com',
  'x'.repeat(300),
  ' '.repeat(40),
  '\n'.repeat(12),
  'ab '.repeat(60),
];

const WORDS = `the of and to in is you that it he was for on are as with his they I at be this have from or one had by
word but not what all were we when your can said there use an each which she do how their if will up other about out many
then them these so some her would make like him into time has look two more write go see number no way could people my
than first water been call who oil its now find long down day did get come made may part feel help care support listen
understand health mind body stress anxiety sad happy okay sorry hear here glad thank thanks please really very well hard
Hello HELLO World Today YES No OK Dr. Mr. Mrs. e.g. i.e. etc. café naïve résumé façade jalapeño über straße`.split(
  /\s+/,
);

/** Code point ranges to draw from: scripts, symbols, emoji, marks, controls and rarely used planes. */
const RANGES: readonly [number, number][] = [
  [0x20, 0x7e],
  [0xa0, 0xff],
  [0x100, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x590, 0x5ff],
  [0x600, 0x6ff],
  [0x880, 0x8ff],
  [0x900, 0x97f],
  [0xe00, 0xe7f],
  [0x1780, 0x17ff],
  [0x1ab0, 0x1aff],
  [0x2000, 0x206f],
  [0x2070, 0x209f],
  [0x20a0, 0x20cf],
  [0x2100, 0x214f],
  [0x2150, 0x218f],
  [0x2190, 0x22ff],
  [0x2460, 0x24ff],
  [0x2500, 0x27bf],
  [0x3000, 0x30ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa700, 0xa7ff],
  [0xac00, 0xd7a3],
  [0xe000, 0xe0ff],
  [0xfb00, 0xfdff],
  [0xfe00, 0xfe0f],
  [0xff00, 0xffef],
  [0x10000, 0x1007f],
  [0x10d40, 0x10d8f],
  [0x11380, 0x113ff],
  [0x1d400, 0x1d7ff],
  [0x1f000, 0x1faff],
  [0x20000, 0x2a6df],
  [0xe0000, 0xe007f],
];

const SEPARATORS = [' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n', '\t\t', '\u00a0', '\u3000'];
const PUNCT = ['.', ',', '!', '?', ';', ':', '-', '—', '…', '(', ')', '"', "'", '`', '/', '\\', '*', '#', '@', '%'];

export function buildCorpus(count: number, seed = 5): string[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const cpt = () => {
    const [a, b] = pick(RANGES);
    const c = a + rng.int(b - a + 1);
    return c >= 0xd800 && c <= 0xdfff ? 'x' : String.fromCodePoint(c);
  };
  const words = (n: number) =>
    Array.from({ length: n }, () => pick(WORDS) + (rng.int(5) === 0 ? pick(PUNCT) : '') + pick(SEPARATORS)).join('');
  const number = () => {
    const digits = 1 + rng.int(12);
    let s = String(1 + rng.int(9));
    for (let i = 1; i < digits; i++) s += String(rng.int(10));
    return rng.int(3) === 0 ? `${s}.${rng.int(1000)}` : s;
  };
  const code = () =>
    pick([
      () => `function ${pick(WORDS).toLowerCase()}(a, b) {\n  return a ${pick(['+', '-', '*', '&&', '||'])} b;\n}\n`,
      () => `for (let i = 0; i < ${number()}; i++) {\n\tsum += arr[i] * ${number()};\n}`,
      () => `def ${pick(WORDS).toLowerCase()}(x):\n    if x > ${number()}:\n        return x\n    return None\n`,
      () => `const x = { "key": [${number()}, ${number()}], 'y': null };  // ${pick(WORDS)}`,
      () => `#include <stdio.h>\nint main() { printf("%d\\n", ${number()}); }`,
    ])();
  const chat = () =>
    renderChat(
      Array.from({ length: 1 + rng.int(4) }, (_, i) => ({
        role: i === 0 && rng.int(2) === 0 ? 'system' : i % 2 === 0 ? 'user' : 'assistant',
        content: words(1 + rng.int(12)).trim(),
      })),
      { addGenerationPrompt: rng.int(2) === 0 },
    );
  const noisySpecial = () =>
    pick([
      '<|im_start|>',
      '<|im_end|>',
      '<|endoftext|>',
      '<s>',
      '</s>',
      '<unk>',
      '<tool_call>',
      '<|im_',
      '|>',
      '<0x41>',
    ]);

  const generators: (() => string)[] = [
    () => words(1 + rng.int(20)),
    () => Array.from({ length: 1 + rng.int(30) }, cpt).join(''),
    () => Array.from({ length: 1 + rng.int(8) }, () => words(1 + rng.int(3)) + cpt() + cpt()).join(''),
    () => Array.from({ length: 1 + rng.int(8) }, () => number() + pick(SEPARATORS)).join(''),
    () => pick(SEPARATORS).repeat(1 + rng.int(6)) + words(2) + pick(SEPARATORS).repeat(1 + rng.int(6)),
    () => Array.from({ length: 1 + rng.int(40) }, () => String.fromCharCode(32 + rng.int(95))).join(''),
    () => Array.from({ length: 1 + rng.int(10) }, () => pick(PUNCT).repeat(1 + rng.int(4)) + pick(SEPARATORS)).join(''),
    code,
    chat,
    () => Array.from({ length: 1 + rng.int(6) }, () => words(1 + rng.int(3)) + noisySpecial()).join(''),
    () => `${pick(WORDS)}'${pick(['s', 'S', 't', 'T', 're', 'RE', 've', 'Ve', 'm', 'll', 'LL', 'd', 'x'])} ${words(2)}`,
  ];
  return Array.from({ length: count }, () => pick(generators)());
}
