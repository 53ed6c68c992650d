// Headless Chromium for the report tests: Debian's `chromium` (which .ci/run installs), or MEETARA_CHROMIUM.
// A missing browser fails the test with a one-line fix, never skips it.

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.MEETARA_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set MEETARA_CHROMIUM to a Chromium executable`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** The little of the SVG DOM the checks use (the project compiles without TypeScript's DOM library). */
export interface Graphic {
  getBBox(): { x: number; y: number; width: number; height: number };
  getAttribute(name: string): string | null;
  style: { visibility: string };
}
