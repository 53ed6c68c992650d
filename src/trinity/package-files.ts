// The files of a package, the layer the transfer package (train → compress) and the deployment package share:
// safe relative paths, streaming sha256, the sorted list of every regular file under a folder with its size and
// hash, and a .tar of the folder for a single download. Everything read from a package is untrusted: a path in a
// manifest or a tar entry is refused, with a PackageIntegrityError naming it, unless it is a plain relative path
// that stays inside the package folder. Writes are atomic (a temporary file or folder beside the target, then a
// rename), so an interrupted write never leaves a partial .tar or a half-extracted folder behind.

import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createSHA256 } from 'hash-wasm';
import { Pack, type ReadEntry, extract as tarExtract } from 'tar';
import { InputError, PackageIntegrityError } from '../errors.ts';
import { withAtomicFile } from '../util/atomic-file.ts';
import { startProgress } from '../util/progress.ts';

/** One file of a package: its path relative to the package folder (POSIX separators), size and sha256 (hex). */
export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

/** Read size for hashing: large enough that hashing, not the syscalls, is the cost. */
const HASH_CHUNK_BYTES = 4 << 20;

/** Above this many bytes, hashing takes more than a second or two, so it shows progress. */
const PROGRESS_MIN_BYTES = 256 << 20;

/** Tar entry types a package may hold; links, devices and FIFOs are refused. */
const TAR_FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const TAR_DIR_TYPES = new Set(['Directory']);

/** A path for messages: quoted, with control characters escaped, so the message stays on one line. */
export function showPath(p: string): string {
  return JSON.stringify(p);
}

/**
 * Why `p` is not a safe package path, or null when it is one: a non-empty relative POSIX path whose segments are
 * all real names (no '', '.', '..'), with no backslash, no drive letter and no control character (NUL included).
 */
export function unsafePathReason(p: unknown): string | null {
  if (typeof p !== 'string') return 'is not a string';
  if (p.length === 0) return 'is empty';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return c === 0 ? 'contains a NUL character' : 'contains a control character';
  }
  if (p.includes('\\')) return 'contains a backslash; use / between folder names';
  if (p.startsWith('/')) return 'is absolute; paths in a package are relative to the package folder';
  if (/^[A-Za-z]:/.test(p)) return 'starts with a drive letter; paths in a package are relative to the package folder';
  for (const segment of p.split('/')) {
    if (segment === '') return 'has an empty segment (a leading, trailing or doubled /)';
    if (segment === '..') return "has a '..' segment, which would leave the package folder";
    if (segment === '.') return "has a '.' segment; write the path without it";
  }
  return null;
}

/**
 * Returns `p` when it is a safe package path (see unsafePathReason) and throws a PackageIntegrityError naming it
 * otherwise. `where` says where the path came from (a manifest field, a tar), for the message.
 */
export function safeRelativePath(p: string, where?: string): string {
  const why = unsafePathReason(p);
  if (why !== null) {
    const shown = typeof p === 'string' ? showPath(p) : String(p);
    throw new PackageIntegrityError(`${where ? `${where}: ` : ''}unsafe path ${shown}: it ${why}`);
  }
  return p;
}

/** sha256 (lowercase hex) and size of a file, read as a stream; `onBytes` gets each chunk's size. */
export async function hashFile(
  path: string,
  onBytes?: (bytes: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hasher = await createSHA256();
  hasher.init();
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK_BYTES })) {
    hasher.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
    onBytes?.((chunk as Buffer).byteLength);
  }
  return { sha256: hasher.digest('hex'), bytes };
}

/** sha256 (lowercase hex) of a file, read as a stream so a multi-gigabyte model never sits in memory. */
export async function sha256File(path: string): Promise<string> {
  return (await hashFile(path)).sha256;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ListFilesOptions {
  /** Leave out files for which this returns true; it gets the relative POSIX path. */
  readonly exclude?: (path: string) => boolean;
}

/**
 * Every regular file under `root`, as relative POSIX paths sorted by code unit. A symbolic link or any other
 * non-regular file is refused, because a package holds plain files only; so is a name that is not a safe path.
 */
export async function listFiles(root: string, options: ListFilesOptions = {}): Promise<string[]> {
  const rootStat = await stat(root).catch(() => null);
  if (!rootStat?.isDirectory()) throw new PackageIntegrityError(`no package folder at ${showPath(root)}`);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      safeRelativePath(path, `file in ${showPath(root)}`);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        if (!options.exclude?.(path)) out.push(path);
      } else {
        const kind = entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
        throw new PackageIntegrityError(
          `${showPath(join(root, path))} is ${kind}; a package holds regular files only (copy the file in instead)`,
        );
      }
    }
  };
  await walk('');
  return out.sort(byCodeUnit);
}

/**
 * `{path, bytes, sha256}` for each of `paths` (relative to `root`), in the order given. Shows progress when the
 * files are large enough for hashing to take a while.
 */
export async function fileEntries(root: string, paths: readonly string[]): Promise<FileEntry[]> {
  const sizes: number[] = [];
  for (const p of paths) {
    safeRelativePath(p);
    const s = await lstat(join(root, p)).catch(() => null);
    if (!s) throw new PackageIntegrityError(`file ${showPath(p)} is missing from ${showPath(root)}`);
    if (!s.isFile()) throw new PackageIntegrityError(`file ${showPath(p)} in ${showPath(root)} is not a regular file`);
    sizes.push(s.size);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  const progress =
    total >= PROGRESS_MIN_BYTES ? startProgress({ label: 'sha256', total, unit: 'MB', scale: 1e6 }) : null;
  let done = 0;
  const out: FileEntry[] = [];
  try {
    for (const p of paths) {
      const { sha256, bytes } = await hashFile(join(root, p), (n) => {
        done += n;
        progress?.update(done, p);
      });
      out.push({ path: p, bytes, sha256 });
    }
  } finally {
    progress?.stop();
  }
  return out;
}

/** A sibling path for temporary output, in the same folder so the final rename is atomic. */
function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Writes every regular file under `dir` (except .tar files) into one uncompressed tar at `tarPath`, atomically.
 * Entries sit under a top-level folder named after `dir`, so unpacking by hand gives the package folder back.
 * Owner, group and device metadata are left out (portable); sizes and modification times are kept.
 */
export async function writeTar(dir: string, tarPath: string): Promise<{ files: number; bytes: number }> {
  const files = await listFiles(dir, { exclude: (p) => p.endsWith('.tar') });
  const prefix = safeRelativePath(basename(dir), 'package folder name');
  // Pack directly, not tar.create(): create() reads an argument starting with '@' as another archive to include.
  const pack = new Pack({ cwd: dir, portable: true, prefix });
  const bytes = await withAtomicFile(tarPath, async (f) => {
    const writing = (async () => {
      for await (const chunk of pack) await f.write(chunk as Buffer);
    })();
    for (const p of files) pack.add(p);
    pack.end();
    await writing;
    return f.written;
  });
  return { files: files.length, bytes };
}

/** What is wrong with a tar entry for a package, or null when it may be extracted; `skip` for the root folder. */
function tarEntryProblem(rawPath: string, type: string): string | 'skip' | null {
  let p = rawPath;
  while (p.startsWith('./')) p = p.slice(2);
  const isDir = TAR_DIR_TYPES.has(type);
  if (isDir) {
    if (p === '' || p === '.') return 'skip';
    if (p.endsWith('/')) p = p.slice(0, -1);
  } else if (!TAR_FILE_TYPES.has(type)) {
    const kind = type === 'SymbolicLink' ? 'a symbolic link' : type === 'Link' ? 'a hard link' : `a ${type} entry`;
    return `entry ${showPath(rawPath)} is ${kind}; a package holds regular files and folders only`;
  }
  const why = unsafePathReason(p);
  return why === null ? null : `entry ${showPath(rawPath)} is unsafe: it ${why}`;
}

/**
 * Extracts the tar at `tarPath` into the folder `dir`, which must not exist yet. Every entry is checked before
 * anything is written for it: an absolute path, a '..' segment, a symbolic or hard link, a device or any other
 * unsafe entry refuses the whole archive. Extraction goes into a temporary sibling folder that is renamed to
 * `dir` only when the whole archive was read cleanly, so on any failure `dir` does not exist.
 */
export async function extractTar(tarPath: string, dir: string): Promise<void> {
  const tarStat = await stat(tarPath).catch(() => null);
  if (!tarStat?.isFile()) throw new PackageIntegrityError(`no tar file at ${showPath(tarPath)}`);
  if (await lstat(dir).catch(() => null)) {
    throw new InputError(`cannot extract into ${showPath(dir)}: it already exists (pick a new folder)`);
  }
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir);
  await mkdir(tmp);
  const problems: string[] = [];
  try {
    try {
      await tarExtract({
        file: tarPath,
        cwd: tmp,
        strict: false,
        preserveOwner: false,
        filter: (path, entry) => {
          const problem = tarEntryProblem(path, (entry as ReadEntry).type);
          if (problem === null) return true;
          if (problem !== 'skip') problems.push(problem);
          return false;
        },
        onwarn: (code, message) => {
          problems.push(`${code}: ${String(message).replace(/\s+/g, ' ')}`);
        },
      });
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
      throw new PackageIntegrityError(`${showPath(tarPath)} is not a readable tar archive: ${why}`);
    }
    if (problems.length > 0) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
      throw new PackageIntegrityError(`${showPath(tarPath)}: ${problems[0]}${more}; nothing was extracted`);
    }
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
