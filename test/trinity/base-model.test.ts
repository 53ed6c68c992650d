// The shipped base model (assets/base/meetara-tiny.gguf) against llama.cpp: it loads, tokenizes exactly as
// llama.cpp does, chats in every card domain, its model card's perplexity is what llama.cpp measures, and a LoRA
// on one domain's data measurably lowers that domain's held-out perplexity.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/data/catalog.ts';
import { generate } from '../../src/data/generate.ts';
import { greedyChatReplies } from '../../src/eval/chat.ts';
import { llamaEngine } from '../../src/eval/llama.ts';
import { heldoutPerplexity } from '../../src/eval/perplexity.ts';
import { renderChat } from '../../src/model/chat-template.ts';
import { Tokenizer } from '../../src/model/tokenizer/tokenizer.ts';
import {
  type BaseReport,
  CARD_DOMAINS,
  HELDOUT_PER_DOMAIN_SCORED,
  pooledPerplexity,
  specialise,
} from '../../src/trinity/base-report.ts';
import { DEFAULT_BASE, PRETRAIN_DEFAULTS } from '../../src/trinity/make-base.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildCorpus, TRICKY } from '../model/corpus.ts';

const dir = tempDir('meetara-base-');
const assets = join(DEFAULT_BASE, '..');

describe('the shipped base model', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await (await llamaEngine()).loadModel({ modelPath: DEFAULT_BASE });
  });
  afterAll(async () => model?.dispose());

  it('is an F16 llama GGUF of at most 16 MB with the chat template embedded', () => {
    expect(readFileSync(DEFAULT_BASE).length).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(model.fileInfo.metadata.general.architecture).toBe('llama');
    expect(model.fileInfo.metadata.tokenizer.chat_template).toContain('<|im_start|>');
    expect(model.fileInsights.totalLayers).toBeGreaterThan(0);
  });

  it('tokenizes 2,000+ strings exactly as llama.cpp does', () => {
    const ours = Tokenizer.fromGgufFile(DEFAULT_BASE);
    const [sample] = generate({ domains: ['mental_health'], samplesPerDomain: 20, seed: 99 });
    const chats = (sample?.train ?? []).map((s) => renderChat(s.messages));
    const strings = [...TRICKY, ...buildCorpus(2000, 17), ...chats];
    expect(strings.length).toBeGreaterThanOrEqual(2000);
    for (const text of strings) {
      for (const parseSpecial of [false, true]) {
        expect(ours.tokenize(text, { parseSpecial }), JSON.stringify(text)).toEqual(
          Array.from(model.tokenize(text, parseSpecial)),
        );
      }
    }
  });
});

describe('chatting and perplexity through llama.cpp', () => {
  it('replies on topic in each card domain with at least 20 tokens and stops at the end-of-turn token', async () => {
    const held = generate({ domains: [...CARD_DOMAINS], samplesPerDomain: 1, heldoutPerDomain: 1, seed: 5 });
    const replies = await greedyChatReplies(
      DEFAULT_BASE,
      held.map((d) => d.heldout[0]?.messages.slice(0, 2) ?? []),
      { maxTokens: 200 },
    );
    for (const r of replies) {
      expect(r.tokens).toBeGreaterThanOrEqual(20);
      expect(r.stoppedAtEndOfTurn).toBe(true);
    }
  }, 120_000);

  it("reproduces the model card's held-out perplexity with an independent llama.cpp measurement", async () => {
    const report = JSON.parse(readFileSync(join(assets, 'base-report.json'), 'utf8')) as BaseReport;
    // The card's figure pools every domain's; re-measure the four card domains and check the pooling.
    const data = generate({
      domains: [...CARD_DOMAINS],
      samplesPerDomain: 1,
      heldoutPerDomain: PRETRAIN_DEFAULTS.heldoutPerDomain,
      seed: PRETRAIN_DEFAULTS.seed,
    });
    for (const d of data) {
      const recorded = report.heldout.domains.find((x) => x.name === d.domain.name);
      if (!recorded) throw new Error(`no ${d.domain.name} in base-report.json`);
      const r = await heldoutPerplexity(DEFAULT_BASE, d.heldout.slice(0, HELDOUT_PER_DOMAIN_SCORED));
      expect(r.scoredTokens, d.domain.name).toBe(recorded.scoredTokens);
      expect(Math.abs(r.perplexity - recorded.perplexity) / r.perplexity, d.domain.name).toBeLessThan(0.01);
    }
    expect(report.heldout.domains).toHaveLength(catalog().size);
    const pooled = pooledPerplexity(report.heldout.domains);
    expect(pooled.perplexity).toBeCloseTo(report.heldout.perplexity, 9);
    expect(pooled.conversations).toBe(report.heldout.conversations);
  }, 300_000);

  it('records in the model card the perplexity base-report measured', () => {
    const report = JSON.parse(readFileSync(join(assets, 'base-report.json'), 'utf8')) as BaseReport;
    const card = readFileSync(join(assets, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(report.heldout.perplexity.toFixed(3));
    for (const s of report.specialisation) expect(card).toContain(`${(s.drop * 100).toFixed(1)}%`);
  });

  it('a short LoRA on one domain lowers its held-out perplexity (llama.cpp, with against without the adapter)', async () => {
    const s = await specialise({ base: DEFAULT_BASE, domain: 'sleep', work: dir, samples: 80, heldout: 20, steps: 8 });
    expect(s.tunedPerplexity).toBeLessThan(s.basePerplexity);
  }, 300_000);
});
