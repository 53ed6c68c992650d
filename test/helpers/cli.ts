import { spawn, spawnSync } from 'node:child_process';
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

/**
 * Runs `meetara <args>` in the background and kills it (SIGKILL) once `until(stderr so far)` is true, checked on
 * every output and every 200 ms; resolves with its exit code and stderr when it ends (killed or not).
 */
export function runCliUntil(
  args: readonly string[],
  until?: (stderr: string) => boolean,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'meetara.js'), ...args], {
      env: { ...process.env, MEETARA_QUIET: '1' },
    });
    let stderr = '';
    const check = () => {
      if (until?.(stderr)) child.kill('SIGKILL');
    };
    child.stderr.on('data', (b) => {
      stderr += String(b);
      check();
    });
    const timer = until ? setInterval(check, 200) : undefined;
    child.on('exit', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, stderr });
    });
  });
}
