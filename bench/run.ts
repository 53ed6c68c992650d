// Runs every bench suite (bench/*.bench.ts), or only those whose names match the arguments:
//   npm run bench            all suites
//   npm run bench -- quant   only bench/quant.bench.ts

import { readdirSync } from 'node:fs';

const filters = process.argv.slice(2);
const suites = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

for (const file of suites) {
  console.log(`\n## ${file}`);
  const suite = (await import(`./${file}`)) as { run: () => Promise<void> };
  await suite.run();
}
