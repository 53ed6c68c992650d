// Compression profiles for `meetara compress`, in one table: the llama-quantize types of the full and lite models,
// and the original guide's nominal size reduction, which the report shows beside the measured one. `auto` picks a
// profile from this machine's memory and cores and says why.

import { availableParallelism, totalmem } from 'node:os';

export const PROFILE_NAMES = ['quality', 'balanced', 'aggressive'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  readonly name: ProfileName;
  /** llama-quantize type of each domain's full model. */
  readonly full: string;
  /** llama-quantize type of each domain's lite model. */
  readonly lite: string;
  /** The original guide's target reduction against F16 (a label, never a measurement). */
  readonly nominalReduction: number;
  readonly about: string;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  quality: { name: 'quality', full: 'Q8_0', lite: 'Q6_K', nominalReduction: 0.3, about: 'closest to F16' },
  balanced: { name: 'balanced', full: 'Q8_0', lite: 'Q4_K_M', nominalReduction: 0.65, about: 'the usual choice' },
  aggressive: { name: 'aggressive', full: 'Q6_K', lite: 'Q3_K_M', nominalReduction: 0.85, about: 'smallest files' },
};

/** The profile table as help text. */
export function profilesHelp(): string {
  const rows = Object.values(PROFILES).map(
    (p) =>
      `  ${p.name.padEnd(11)} full ${p.full.padEnd(7)} lite ${p.lite.padEnd(7)} (${p.about}; guide's nominal target ${Math.round(p.nominalReduction * 100)}% smaller than F16)`,
  );
  return ['Profiles:', ...rows, "  auto        chosen from this machine's memory and cores"].join('\n');
}

/**
 * `auto`, as the original troubleshooting guide suggests: with little memory or few cores, smaller models; with
 * plenty of both, quality.
 */
export function autoProfile(
  memoryBytes = totalmem(),
  cores = availableParallelism(),
): { profile: Profile; reason: string } {
  const gib = memoryBytes / 2 ** 30;
  const what = `${gib.toFixed(0)} GiB of memory and ${cores} cores`;
  if (gib < 8 || cores < 2)
    return { profile: PROFILES.aggressive, reason: `${what}: under 8 GiB or 2 cores → aggressive` };
  if (gib >= 32 && cores >= 8)
    return { profile: PROFILES.quality, reason: `${what}: 32 GiB and 8 cores or more → quality` };
  return { profile: PROFILES.balanced, reason: `${what}: between the two → balanced` };
}
