// renderChat against llama.cpp's own chat formatting (llama_chat_apply_template in libllama, through koffi): the
// ChatML default and a Llama 3 template render the same text llama.cpp builds for the same conversation.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { GgufFile } from '../../src/gguf/reader.ts';
import { CHATML_TEMPLATE, type ChatMessage, chatTemplateOf, renderChat } from '../../src/model/chat-template.ts';
import { initModel } from '../../src/model/init-model.ts';
import { Rng } from '../../src/util/random.ts';
import { tempDir } from '../helpers/temp.ts';

const require = createRequire(import.meta.url);
const BIN_DIR = join(dirname(require.resolve('@node-llama-cpp/linux-x64')), '..', 'bins', 'linux-x64');

function llamaCppChat() {
  const lib = koffi.load(join(BIN_DIR, 'libllama.v0.4.0.so'));
  const Message = koffi.struct('meetara_chat_message', { role: 'const char *', content: 'const char *' });
  const apply = lib.func('llama_chat_apply_template', 'int32_t', [
    'const char *',
    koffi.pointer(Message),
    'size_t',
    'bool',
    'char *',
    'int32_t',
  ]);
  return (template: string, messages: readonly ChatMessage[], addAssistant: boolean): string => {
    const buf = Buffer.alloc(1 << 16);
    const n = apply(
      template,
      messages.map((m) => ({ role: m.role, content: m.content })),
      messages.length,
      addAssistant,
      buf,
      buf.length,
    );
    if (n < 0 || n > buf.length) throw new Error(`llama_chat_apply_template returned ${n}`);
    return buf.subarray(0, n).toString('utf8');
  };
}

// Llama 3's tokenizer_config.json template.
const LLAMA3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

function conversations(n: number): ChatMessage[][] {
  const rng = new Rng(9);
  const words = [
    'I',
    'feel',
    'stressed',
    'about',
    'work',
    'today.',
    'Thanks!',
    'héllo',
    '你好',
    '🙂',
    'line\nbreak',
    'tab\there',
  ];
  const text = () => Array.from({ length: 1 + rng.int(12) }, () => words[rng.int(words.length)]).join(' ');
  return Array.from({ length: n }, () => {
    const msgs: ChatMessage[] = rng.int(2) ? [{ role: 'system', content: text() }] : [];
    for (let i = 0; i < 1 + rng.int(5); i++) msgs.push({ role: i % 2 ? 'assistant' : 'user', content: text() });
    return msgs;
  });
}

describe('renderChat', () => {
  const llamaCpp = llamaCppChat();

  it.each([
    ['ChatML (the default)', undefined, CHATML_TEMPLATE],
    ['Llama 3', LLAMA3_TEMPLATE, LLAMA3_TEMPLATE],
  ])('renders %s exactly as llama.cpp formats the same conversation', (_name, template, llamaTemplate) => {
    for (const messages of conversations(60)) {
      for (const addGenerationPrompt of [false, true]) {
        expect(renderChat(messages, { template, addGenerationPrompt })).toBe(
          llamaCpp(llamaTemplate, messages, addGenerationPrompt),
        );
      }
    }
  });

  it('takes the template and BOS/EOS texts from GGUF metadata, and reports template errors on one line', async () => {
    const path = join(tempDir('meetara-chat-'), 'm.gguf');
    await initModel(path, { arch: 'llama', vocabSize: 300, dim: 32, layers: 1, heads: 2, ffn: 64, contextLength: 64 });
    const f = GgufFile.open(path);
    const t = chatTemplateOf(f.metadata);
    f.close();
    expect(t).toEqual({ template: CHATML_TEMPLATE, bosToken: '<s>', eosToken: '<|im_end|>' });
    expect(() => renderChat([], { template: "{{ raise_exception('no system role') }}" })).toThrow(
      'chat template: no system role',
    );
  });
});
