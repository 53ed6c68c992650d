// Checks one catalog file against the schema: `npx tsx src/data/validate-catalog-file.ts src/data/catalog/X.json`.
import { readFileSync } from 'node:fs';
import { CategoryFileSchema } from './schema.ts';

for (const file of process.argv.slice(2)) {
  const parsed = CategoryFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (parsed.success) {
    console.log(`${file}: ok, ${parsed.data.domains.map((d) => d.name).join(', ')}`);
  } else {
    for (const issue of parsed.error.issues) console.log(`${file}: ${issue.path.join('.')}: ${issue.message}`);
    process.exitCode = 1;
  }
}
