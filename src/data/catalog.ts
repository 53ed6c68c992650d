// The 62-domain catalog, loaded once from ./catalog/<category>.json and validated against ./schema.ts.

import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { CATEGORIES, type Category, CategoryFileSchema, type Domain } from './schema.ts';

export interface CatalogDomain extends Domain {
  readonly category: Category;
}

let cached: Map<string, CatalogDomain> | undefined;

/** Every domain, by name, in catalog order. Throws if a catalog file breaks the schema. */
export function catalog(): ReadonlyMap<string, CatalogDomain> {
  if (cached) return cached;
  const domains = new Map<string, CatalogDomain>();
  for (const category of CATEGORIES) {
    const url = new URL(`./catalog/${category}.json`, import.meta.url);
    const parsed = CategoryFileSchema.safeParse(JSON.parse(readFileSync(url, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`catalog/${category}.json: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    if (parsed.data.category !== category) throw new Error(`catalog/${category}.json declares ${parsed.data.category}`);
    for (const d of parsed.data.domains) {
      if (domains.has(d.name)) throw new Error(`catalog: domain ${d.name} appears twice`);
      domains.set(d.name, { ...d, category });
    }
  }
  cached = domains;
  return domains;
}

/**
 * The original guide's short names for three categories' general-purpose domains; `meetara train` defaults to
 * "healthcare,mental_health,business,education", as the guide did.
 */
export const DOMAIN_ALIASES: Readonly<Record<string, string>> = {
  healthcare: 'general_health',
  business: 'entrepreneurship',
  education: 'academic_tutoring',
};

/** One domain by name (or alias); an unknown name is an InputError that suggests the closest one. */
export function domainByName(name: string): CatalogDomain {
  const d = catalog().get(DOMAIN_ALIASES[name] ?? name);
  if (d) return d;
  throw new InputError(`unknown domain "${name}"${suggestion(name, [...catalog().keys()])}`);
}

function suggestion(name: string, names: string[]): string {
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  return bestDistance <= Math.max(3, name.length / 2) ? `; did you mean "${best}"?` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Domain names from `all`, `category:NAME` or a comma list; unknown names fail with a suggestion. */
export function resolveDomains(spec: string): string[] {
  const s = spec.trim();
  if (s === 'all') return [...catalog().keys()];
  if (s.startsWith('category:')) {
    const category = s.slice('category:'.length);
    const names = [...catalog().values()].filter((d) => d.category === category).map((d) => d.name);
    if (names.length === 0)
      throw new InputError(`unknown category "${category}"; categories: ${CATEGORIES.join(', ')}`);
    return names;
  }
  const names = s
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InputError('--domains is empty; give all, category:NAME or a comma list');
  return [...new Set(names.map((n) => domainByName(n).name))];
}
