// Ollama Modelfiles for the universal pack: FROM the shared base, ADAPTER the domain's LoRA, and a TEMPLATE and
// SYSTEM made by the same chat-template function training used (renderChat), so Ollama formats prompts exactly as
// training did. The Go template is derived by rendering marker strings and swapping them for Ollama's fields.

import { renderChat } from '../model/chat-template.ts';

const SYSTEM = '\u0001SYSTEM\u0001';
const PROMPT = '\u0001PROMPT\u0001';
const RESPONSE = '\u0001RESPONSE\u0001';

/** Ollama's TEMPLATE for a chat template (ChatML when none is given), derived by rendering markers. */
export function ollamaTemplate(chatTemplate?: string): string {
  const o = { template: chatTemplate };
  const system = renderChat([{ role: 'system', content: SYSTEM }], o);
  const user = renderChat([{ role: 'user', content: PROMPT }], { ...o, addGenerationPrompt: true });
  const full = renderChat(
    [
      { role: 'user', content: PROMPT },
      { role: 'assistant', content: RESPONSE },
    ],
    o,
  );
  const afterResponse = full.slice(full.indexOf(RESPONSE) + RESPONSE.length);
  return (
    `{{ if .System }}${system.replace(SYSTEM, '{{ .System }}')}{{ end }}` +
    `${user.replace(PROMPT, '{{ .Prompt }}')}{{ .Response }}${afterResponse}`
  );
}

/** The text that ends an assistant turn under a chat template (ChatML: <|im_end|>): Ollama's stop parameter. */
export function endOfTurnText(chatTemplate?: string): string {
  const full = renderChat(
    [
      { role: 'user', content: PROMPT },
      { role: 'assistant', content: RESPONSE },
    ],
    { template: chatTemplate },
  );
  return full.slice(full.indexOf(RESPONSE) + RESPONSE.length).trim();
}

export interface ModelfileInput {
  /** Paths relative to the Modelfile's folder. */
  readonly from: string;
  readonly adapter?: string;
  /** The SYSTEM prompt; none for a model that serves every domain. */
  readonly system?: string;
  readonly chatTemplate?: string;
  /** Texts that end a turn (the end-of-turn token's text). */
  readonly stop: readonly string[];
}

const quoted = (s: string) => `"""${s.replaceAll('"""', '\\"\\"\\"')}"""`;

export function modelfile(m: ModelfileInput): string {
  return [
    `FROM ${m.from}`,
    ...(m.adapter ? [`ADAPTER ${m.adapter}`] : []),
    `TEMPLATE ${quoted(ollamaTemplate(m.chatTemplate))}`,
    ...(m.system ? [`SYSTEM ${quoted(m.system)}`] : []),
    ...m.stop.map((s) => `PARAMETER stop ${JSON.stringify(s)}`),
    '',
  ].join('\n');
}
