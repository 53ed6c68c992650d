import { describe, expect, it } from 'vitest';
import { renderChat } from '../../src/model/chat-template.ts';
import { modelfile, ollamaTemplate } from '../../src/trinity/modelfile.ts';

/** Fills an Ollama TEMPLATE the way Ollama's Go template does for one system + user turn. */
function fill(template: string, system: string, prompt: string): string {
  return template
    .replace(/\{\{ if \.System \}\}([\s\S]*?)\{\{ end \}\}/, system ? '$1' : '')
    .replace('{{ .System }}', system)
    .replace('{{ .Prompt }}', prompt)
    .replace('{{ .Response }}', '');
}

describe('Ollama Modelfiles', () => {
  it('derive a TEMPLATE that formats a prompt exactly as training rendered it', () => {
    const t = ollamaTemplate();
    const messages = [
      { role: 'system', content: 'You are MeeTARA.' },
      { role: 'user', content: 'I cannot sleep.' },
    ];
    const ours = renderChat(messages, { addGenerationPrompt: true });
    expect(fill(t, 'You are MeeTARA.', 'I cannot sleep.').startsWith(ours)).toBe(true);
    expect(
      fill(t, '', 'Hi').startsWith(
        renderChat([messages[1] as never], { addGenerationPrompt: true }).replace('I cannot sleep.', 'Hi'),
      ),
    ).toBe(true);
    expect(t.endsWith('{{ .Response }}<|im_end|>\n')).toBe(true);
  });

  it('write FROM, ADAPTER, TEMPLATE, SYSTEM and stop parameters', () => {
    const text = modelfile({
      from: './base.gguf',
      adapter: './adapters/sleep.gguf',
      system: 'You are MeeTARA, a sleep coach.',
      stop: ['<|im_end|>'],
    });
    expect(text.split('\n')[0]).toBe('FROM ./base.gguf');
    expect(text).toContain('ADAPTER ./adapters/sleep.gguf\n');
    expect(text).toContain('SYSTEM """You are MeeTARA, a sleep coach."""\n');
    expect(text).toContain('PARAMETER stop "<|im_end|>"\n');
  });
});
