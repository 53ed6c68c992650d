// Progress bars for long work, on stderr (stdout stays clean for --json). Shows what, how far, rate and ETA.
// Off a TTY it prints a line every few seconds instead of redrawing; MEETARA_QUIET=1 silences it (tests).

import cliProgress from 'cli-progress';

export interface Progress {
  /** Advance to `value` (absolute), optionally updating the trailing detail text. */
  update(value: number, detail?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Unit of `total`, e.g. 'MB' or 'tensors'; `scale` divides raw values for display. */
  readonly unit?: string;
  readonly scale?: number;
}

const quiet = () => process.env.MEETARA_QUIET === '1' || process.env.VITEST !== undefined;

export function startProgress({ label, total, unit = '', scale = 1 }: ProgressOptions): Progress {
  if (quiet()) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {shown}/{totalShown}${unit ? ` ${unit}` : ''} | {rate} | ETA {eta_formatted} {detail}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 3000,
      hideCursor: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const fmt = (v: number) => (scale === 1 ? String(Math.round(v)) : (v / scale).toFixed(1));
  const payload = (value: number, detail = '') => {
    const secs = Math.max((Date.now() - started) / 1000, 1e-3);
    return { shown: fmt(value), totalShown: fmt(total), rate: `${fmt(value / secs)} ${unit || 'it'}/s`, detail };
  };
  bar.start(total, 0, payload(0));
  return {
    update: (value, detail) => bar.update(value, payload(value, detail)),
    stop: () => bar.stop(),
  };
}
