// Sequences for training: samples packed end to end into rows of `seqLen` tokens (or one sample per row,
// padded). Each position carries its sample's segment id; the forward pass keeps attention inside a segment and
// restarts RoPE positions at 0 where a segment begins, exactly as if each sample ran alone in llama.cpp.

import type { TokenizedSample } from './data.ts';

/** A batch of rows, flattened row-major to [rows, seqLen]. */
export interface Batch {
  readonly rows: number;
  readonly seqLen: number;
  readonly tokens: Int32Array;
  /** The token to predict at each position, or -1 where the loss does not count. */
  readonly labels: Int32Array;
  /** 1-based sample index within the row; 0 marks padding. Attention only joins equal segments. */
  readonly segments: Int32Array;
  /** Positions with a label: the loss is summed over these and divided by their count. */
  readonly lossTokens: number;
}

export const PAD_TOKEN = 0;

/** Packs samples (in the given order) into rows: next-fit when `pack`, else one sample per row. */
export function packRows(samples: readonly TokenizedSample[], seqLen: number, pack = true): Batch[] {
  const rows: TokenizedSample[][] = [];
  let current: TokenizedSample[] = [];
  let used = 0;
  for (const s of samples) {
    if (current.length > 0 && (!pack || used + s.tokens.length > seqLen)) {
      rows.push(current);
      current = [];
      used = 0;
    }
    current.push(s);
    used += s.tokens.length;
  }
  if (current.length > 0) rows.push(current);
  return rows.map((r) => makeRow(r, seqLen));
}

function makeRow(samples: readonly TokenizedSample[], seqLen: number): Batch {
  const tokens = new Int32Array(seqLen).fill(PAD_TOKEN);
  const labels = new Int32Array(seqLen).fill(-1);
  const segments = new Int32Array(seqLen);
  let at = 0;
  let lossTokens = 0;
  for (const [k, s] of samples.entries()) {
    const n = s.tokens.length;
    tokens.set(s.tokens, at);
    for (let i = 0; i < n; i++) {
      segments[at + i] = k + 1;
      if (i + 1 < n && s.lossMask[i + 1]) {
        labels[at + i] = s.tokens[i + 1];
        lossTokens++;
      }
    }
    at += n;
  }
  // Padding keeps segment 0: a segment of its own, unlike any sample's, and never counted in the loss.
  return { rows: 1, seqLen, tokens, labels, segments, lossTokens };
}

/** Stacks rows into one batch. */
export function stackRows(rows: readonly Batch[]): Batch {
  const seqLen = rows[0].seqLen;
  const n = rows.length * seqLen;
  const out = {
    rows: rows.length,
    seqLen,
    tokens: new Int32Array(n),
    labels: new Int32Array(n),
    segments: new Int32Array(n),
    lossTokens: 0,
  };
  for (const [r, row] of rows.entries()) {
    out.tokens.set(row.tokens, r * seqLen);
    out.labels.set(row.labels, r * seqLen);
    out.segments.set(row.segments, r * seqLen);
    out.lossTokens += row.lossTokens;
  }
  return out;
}

/** Splits a batch into consecutive micro-batches of at most `size` rows. */
export function splitRows(batch: Batch, size: number): Batch[] {
  const parts: Batch[] = [];
  const T = batch.seqLen;
  for (let r = 0; r < batch.rows; r += size) {
    const rows = Math.min(size, batch.rows - r);
    const slice = <A extends Int32Array>(a: A) => a.slice(r * T, (r + rows) * T) as A;
    const labels = slice(batch.labels);
    parts.push({
      rows,
      seqLen: T,
      tokens: slice(batch.tokens),
      labels,
      segments: slice(batch.segments),
      lossTokens: labels.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0),
    });
  }
  return parts;
}
