// notebooks/colab_train.ipynb cannot run here (it needs Colab), so this checks what can be checked: it is valid
// nbformat 4 JSON, its Python parses, it runs the steps in the right order, and every project command, npm script,
// option and file it names exists in this project.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const root = join(import.meta.dirname, '..', '..');
const notebookPath = join(root, 'notebooks', 'colab_train.ipynb');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
};

interface Cell {
  cell_type: string;
  id?: string;
  metadata: object;
  source: string[];
  outputs?: unknown[];
  execution_count?: number | null;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string } };
  cells: Cell[];
}

const notebook = JSON.parse(readFileSync(notebookPath, 'utf8')) as Notebook;
const codeCells = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));

interface Use {
  /** 'npm-run' script name, 'meetara' CLI command, 'npm-ci', or 'path'. */
  readonly kind: 'npm-run' | 'meetara' | 'npm-ci' | 'path';
  readonly name: string;
  readonly flags: readonly string[];
  readonly line: string;
}

/** The shell part of a code line (IPython `!` and `%` lines), or undefined for plain Python. */
function shellPart(line: string): string | undefined {
  const m = /^\s*[!%](.*)$/.exec(line);
  return m?.[1];
}

/** Options (--name) in one shell command, up to the next ;, &&, || or |. */
function flagsOf(rest: string): string[] {
  const segment = rest.split(/;|&&|\|\|?/)[0];
  return [...segment.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]);
}

/** Every project command, npm script and project file the code cells use. */
function projectUses(cells: readonly string[]): Use[] {
  const uses: Use[] = [];
  for (const cell of cells) {
    for (const line of cell.split('\n')) {
      const shell = shellPart(line);
      if (shell !== undefined) {
        for (const m of shell.matchAll(/\bnpm run ([\w:-]+)(.*)/g)) {
          const afterDashes = / -- (.*)/.exec(m[2]);
          uses.push({ kind: 'npm-run', name: m[1], flags: afterDashes ? flagsOf(afterDashes[1]) : [], line });
        }
        for (const m of shell.matchAll(/\bnpx meetara ([\w-]+)(.*)/g)) {
          uses.push({ kind: 'meetara', name: m[1], flags: flagsOf(m[2]), line });
        }
        if (/\bnpm ci\b/.test(shell)) uses.push({ kind: 'npm-ci', name: 'package-lock.json', flags: [], line });
      }
      for (const m of line.matchAll(/(?:^|[\s'"(])((?:scripts|notebooks|src|bin|assets|test)\/[\w./-]+)/g)) {
        uses.push({ kind: 'path', name: m[1], flags: [], line });
      }
    }
  }
  return uses;
}

let commandsCache: Set<string> | undefined;

/** The commands `meetara --help` lists (cli.ts runs on import, so it is asked, not imported). */
function cliCommands(): Set<string> {
  if (commandsCache) return commandsCache;
  const top = runCli(['--help']);
  expect(top.code, top.stderr).toBe(0);
  const section = top.stdout.slice(top.stdout.indexOf('Commands:'));
  commandsCache = new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help'));
  return commandsCache;
}

const helpCache = new Map<string, string>();

/** What is missing from this project for each use; empty when everything exists. */
function missing(uses: readonly Use[], commands: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const help = (command: string) => {
    let text = helpCache.get(command);
    if (text === undefined) {
      const r = runCli([command, '--help']);
      text = r.code === 0 ? r.stdout : '';
      helpCache.set(command, text);
    }
    return text;
  };
  const checkCommand = (command: string, flags: readonly string[], what: string) => {
    if (!commands.has(command)) {
      problems.push(`${what}: meetara has no command '${command}'`);
      return;
    }
    const text = help(command);
    // A placeholder command ("not built yet", wrapped by commander) accepts anything; its options are checked once
    // it is built.
    if (text.replace(/\s+/g, ' ').includes('(not built yet)')) return;
    for (const f of flags) {
      if (!new RegExp(`(^|[\\s,])${f}(?![\\w-])`, 'm').test(text)) {
        problems.push(`${what}: 'meetara ${command}' has no option ${f}`);
      }
    }
  };
  for (const u of uses) {
    if (u.kind === 'npm-ci' && !existsSync(join(root, 'package-lock.json'))) {
      problems.push(`npm ci: no package-lock.json`);
    } else if (u.kind === 'path' && !existsSync(join(root, u.name))) {
      problems.push(`${u.name}: no such file in the project`);
    } else if (u.kind === 'meetara') {
      checkCommand(u.name, u.flags, `npx meetara ${u.name}`);
    } else if (u.kind === 'npm-run') {
      const script = pkg.scripts[u.name];
      if (script === undefined) {
        problems.push(`npm run ${u.name}: package.json has no such script`);
        continue;
      }
      const viaCli = /^tsx src\/cli\.ts ([\w-]+)$/.exec(script);
      if (viaCli) checkCommand(viaCli[1], u.flags, `npm run ${u.name}`);
      else if (u.flags.length > 0) problems.push(`npm run ${u.name}: cannot check options of '${script}'`);
    }
  }
  return problems;
}

describe('notebooks/colab_train.ipynb', () => {
  it('is nbformat 4 JSON with well-formed cells', () => {
    expect(notebook.nbformat).toBe(4);
    expect(notebook.nbformat_minor).toBeGreaterThanOrEqual(4);
    expect(notebook.metadata.kernelspec?.name).toBe('python3');
    expect(notebook.cells.length).toBeGreaterThan(5);
    const ids = new Set<string>();
    for (const [i, c] of notebook.cells.entries()) {
      expect(['markdown', 'code'], `cell ${i}`).toContain(c.cell_type);
      expect(c.metadata, `cell ${i}`).toBeTypeOf('object');
      expect(Array.isArray(c.source), `cell ${i}`).toBe(true);
      for (const [j, s] of c.source.entries()) {
        expect(s, `cell ${i} line ${j}`).toBeTypeOf('string');
        // nbformat's multiline strings: every line but the last keeps its newline, and none has one inside.
        expect(s.slice(0, -1), `cell ${i} line ${j}`).not.toContain('\n');
        if (j < c.source.length - 1) expect(s.endsWith('\n'), `cell ${i} line ${j}`).toBe(true);
      }
      if (c.cell_type === 'code') {
        expect(c.outputs, `cell ${i}`).toEqual([]);
        expect(c.execution_count, `cell ${i}`).toBeNull();
      }
      if (notebook.nbformat_minor >= 5) {
        expect(c.id, `cell ${i}`).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
        expect(ids.has(c.id as string), `cell ${i} id`).toBe(false);
        ids.add(c.id as string);
      }
    }
  });

  it('installs Node, npm ci, colab-setup.sh, converts, trains with --base and --archive, then downloads, in that order', () => {
    const all = codeCells.join('\n');
    const at = (re: RegExp) => {
      const m = re.exec(all);
      expect(m, String(re)).not.toBeNull();
      return m?.index ?? -1;
    };
    const node = at(/deb\.nodesource\.com\/setup_(\d+)\.x/);
    const nodeMajor = Number(/setup_(\d+)\.x/.exec(all)?.[1]);
    expect(nodeMajor).toBeGreaterThanOrEqual(Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]));
    const order = [
      node,
      at(/!npm ci\b/),
      at(/!bash scripts\/colab-setup\.sh/),
      at(/!npx meetara convert /),
      at(/npm run train -- --base \S+ --archive/),
      at(/glob\.glob\('out\/colab_trinity_\*\.tar'\)/),
      at(/files\.download\(newest\)/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('uses only commands, npm scripts, options and files that exist in this project', () => {
    const uses = projectUses(codeCells);
    const kinds = new Set(uses.map((u) => `${u.kind}:${u.name}`));
    for (const k of ['npm-ci:package-lock.json', 'path:scripts/colab-setup.sh', 'meetara:convert', 'npm-run:train']) {
      expect(kinds, k).toContain(k);
    }
    expect(uses.find((u) => u.kind === 'meetara' && u.name === 'convert')?.flags).toEqual(['--outtype']);
    expect(uses.find((u) => u.kind === 'npm-run' && u.name === 'train')?.flags).toEqual(['--base', '--archive']);
    expect(missing(uses, cliCommands())).toEqual([]);
  });

  it('the checker itself reports a missing script, command, option and file', () => {
    const fake = [
      '!npm run nope -- --x',
      '!npx meetara frobnicate --y',
      '!npx meetara convert a b --no-such-option',
      '!bash scripts/no-such.sh',
    ].join('\n');
    expect(missing(projectUses([fake]), cliCommands())).toEqual([
      'npm run nope: package.json has no such script',
      "npx meetara frobnicate: meetara has no command 'frobnicate'",
      "npx meetara convert: 'meetara convert' has no option --no-such-option",
      'scripts/no-such.sh: no such file in the project',
    ]);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)('its Python code compiles (IPython ! and % lines stand in as pass)', () => {
    for (const [i, cell] of codeCells.entries()) {
      const py = cell
        .split('\n')
        .map((l) => l.replace(/^(\s*)[!%].*$/, '$1pass'))
        .join('\n');
      const r = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "cell", "exec")'], {
        input: py,
        encoding: 'utf8',
      });
      expect(r.status, `code cell ${i}: ${r.stderr}`).toBe(0);
    }
  });
});
