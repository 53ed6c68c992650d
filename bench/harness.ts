// Shared bench plumbing: every suite exports `run()`, and measures with tinybench. Results print as a table of
// mean time per iteration and a derived throughput, so the README's tables can be copied from the output.

import { Bench } from 'tinybench';

/** The model issues 5 and 6 name for the forward and training benches: llama, vocab 4096, dim 256, 4 layers. */
export const SMALL_LLAMA = {
  arch: 'llama',
  vocabSize: 4096,
  dim: 256,
  layers: 4,
  heads: 8,
  kvHeads: 4,
  ffn: 768,
  contextLength: 1024,
} as const;

export interface Measured {
  readonly name: string;
  /** Mean milliseconds per iteration. */
  readonly meanMs: number;
  readonly samples: number;
}

/** Runs each task a few times (these are seconds-long operations, not micro-benchmarks). */
export async function measure(
  tasks: Record<string, () => unknown | Promise<unknown>>,
  options: { iterations?: number; setup?: () => unknown } = {},
): Promise<Measured[]> {
  const bench = new Bench({ iterations: options.iterations ?? 3, time: 0, warmup: false });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn as () => Promise<void>);
  await bench.run();
  return bench.tasks.map((t) => {
    const r = t.result as { latency?: { mean: number; samplesCount?: number }; state?: string; error?: Error };
    if (r?.error) throw r.error;
    if (!r?.latency) throw new Error(`bench task '${t.name}' produced no result`);
    return { name: t.name, meanMs: r.latency.mean, samples: r.latency.samplesCount ?? 0 };
  });
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}
