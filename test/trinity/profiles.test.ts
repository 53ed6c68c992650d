import { describe, expect, it } from 'vitest';
import { parseQuantType } from '../../src/quant/mixes.ts';
import { autoProfile, PROFILES, profilesHelp } from '../../src/trinity/profiles.ts';

const GIB = 2 ** 30;

describe('compression profiles', () => {
  it('name real llama-quantize types, as the issue lists them', () => {
    expect([PROFILES.quality.full, PROFILES.quality.lite]).toEqual(['Q8_0', 'Q6_K']);
    expect([PROFILES.balanced.full, PROFILES.balanced.lite]).toEqual(['Q8_0', 'Q4_K_M']);
    expect([PROFILES.aggressive.full, PROFILES.aggressive.lite]).toEqual(['Q6_K', 'Q3_K_M']);
    for (const p of Object.values(PROFILES)) {
      expect(() => parseQuantType(p.full)).not.toThrow();
      expect(() => parseQuantType(p.lite)).not.toThrow();
    }
    expect(profilesHelp()).toContain('balanced    full Q8_0    lite Q4_K_M');
  });

  it('auto picks by memory and cores and explains the choice', () => {
    expect(autoProfile(4 * GIB, 2).profile.name).toBe('aggressive');
    expect(autoProfile(24 * GIB, 2).profile.name).toBe('balanced');
    expect(autoProfile(64 * GIB, 16).profile.name).toBe('quality');
    expect(autoProfile(64 * GIB, 1).profile.name).toBe('aggressive');
    expect(autoProfile(24 * GIB, 2).reason).toBe('24 GiB of memory and 2 cores: between the two → balanced');
  });
});
