// The shared-base pack's parts that are not model files: the domain router (built from the catalog and the
// package's training user turns, scored on its held-out user turns), the llama-server command that serves every
// adapter at once, and the count of tensors that every domain's full model holds byte for byte (which the pack
// stores once, in its base).

import { domainByName } from '../data/catalog.ts';
import type { TensorHash } from '../quant/hash.ts';
import { readChatJsonl } from '../trainer/data.ts';
import { buildRouter, type Router, routingAccuracy } from './router.ts';

export interface RouterSource {
  readonly name: string;
  /** The domain's train.jsonl and heldout.jsonl. */
  readonly train: string;
  readonly heldout: string;
}

const userTurns = (file: string): string[] =>
  readChatJsonl(file).samples.flatMap(({ sample }) =>
    sample.messages.filter((m) => m.role === 'user').map((m) => m.content),
  );

/** The router over the package's domains, with its accuracy on their held-out user turns. */
export function buildDomainRouter(domains: readonly RouterSource[]): Router {
  const router = buildRouter(
    domains.map((d) => {
      const c = domainByName(d.name);
      return { name: d.name, texts: [...c.keywords, ...c.vocabulary, c.description, ...userTurns(d.train)] };
    }),
  );
  const labelled = domains.flatMap((d) => userTurns(d.heldout).map((text) => ({ text, domain: d.name })));
  return { ...router, accuracy: routingAccuracy(router, labelled) };
}

/**
 * A shell script that starts llama-server with the base and every adapter loaded at scale 0; a request picks its
 * domain with "lora": [{"id": N, "scale": 1}], N being the adapter's index here (and in router.json's order).
 */
export function serveScript(base: string, adapters: readonly { domain: string; file: string }[]): string {
  const ids = adapters.map((a, i) => `#   ${i}  ${a.domain}`);
  const args = adapters.map((a) => `  --lora ${a.file} \\`);
  return [
    '#!/bin/sh',
    '# Serves the shared base with every domain adapter loaded once (llama.cpp llama-server).',
    '# Pick a domain per request: {"messages": [...], "lora": [{"id": N, "scale": 1}]}, where N is:',
    ...ids,
    'cd "$(dirname "$0")"',
    `exec llama-server -m ${base} \\`,
    ...args,
    '  --lora-init-without-apply "$@"',
    '',
  ].join('\n');
}

/** Tensors whose content hash is identical in every domain model and in the base: stored once, in the base. */
export function sharedTensors(
  domainModels: readonly (readonly TensorHash[])[],
  base: readonly TensorHash[],
): { identical: number; total: number } {
  const baseHash = new Map(base.map((t) => [t.name, t.blake3]));
  const first = domainModels[0] ?? [];
  const identical = first.filter((t) =>
    domainModels.every((m) => m.find((u) => u.name === t.name)?.blake3 === baseHash.get(t.name)),
  ).length;
  return { identical, total: first.length };
}
