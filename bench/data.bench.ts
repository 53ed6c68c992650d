// The data engine's throughput: generating 62 domains × 1,000 samples (the bar: under 60 s on 2 cores),
// with the near-duplicate filter on, as `meetara data --domains all --samples 1000` does before writing.

import { catalog } from '../src/data/catalog.ts';
import { generate } from '../src/data/generate.ts';
import { measure, printTable } from './harness.ts';

export async function run(): Promise<void> {
  const domains = [...catalog().keys()];
  let samples = 0;
  const [r] = await measure(
    {
      'generate 62 × 1000': () => {
        const data = generate({ domains, samplesPerDomain: 1000, seed: 0 });
        samples = data.reduce((n, d) => n + d.train.length + d.heldout.length, 0);
      },
    },
    { iterations: 1 },
  );
  const seconds = (r?.meanMs ?? 0) / 1000;
  printTable(
    'Data generation (train + held-out, near-duplicate filter on)',
    ['task', 'seconds', 'samples', 'samples/s'],
    [[r?.name ?? '', seconds.toFixed(1), String(samples), (samples / seconds).toFixed(0)]],
  );
}
