import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `meetara <args>` as a user would (bin/meetara.js), capturing output and exit code. */
export function runCli(args: readonly string[], options: { timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'meetara.js'), ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, MEETARA_QUIET: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
