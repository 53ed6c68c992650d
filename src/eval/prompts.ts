// Prompts for generation-based measurements (latency, empathy): the opening of a held-out conversation, i.e. what
// a user would send first, with the domain's system prompt.

import { InputError } from '../errors.ts';
import type { ChatMessage } from '../model/chat-template.ts';

/** The system message (if any) and the first user turn of each of the first `n` conversations. */
export function heldoutPrompts(
  conversations: readonly { readonly messages: readonly ChatMessage[] }[],
  n: number,
): ChatMessage[][] {
  return conversations.slice(0, Math.max(0, n)).map((c, i) => {
    const userAt = c.messages.findIndex((m) => m.role === 'user');
    if (userAt < 0) throw new InputError(`held-out conversation ${i + 1} has no user turn to use as a prompt`);
    const system = c.messages.slice(0, userAt).find((m) => m.role === 'system');
    const user = c.messages[userAt] as ChatMessage;
    return [
      ...(system ? [{ role: system.role, content: system.content }] : []),
      { role: user.role, content: user.content },
    ];
  });
}
