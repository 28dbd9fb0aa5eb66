/**
 * The only files the explorer serves: the ones the user named (files, or folders as roots) and the bundled
 * fixtures. A request names a root by index and a path inside it; anything that leaves the root — `..`
 * segments, absolute paths, symlinks pointing elsewhere — is refused, whatever the file system holds.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError } from '../errors.js';

export interface Root {
  /** What the user typed (or the fixture's name). */
  label: string;
  /** Real path (symlinks resolved) of the file or folder. */
  real: string;
  kind: 'file' | 'folder';
}

export type Refusal = { status: 400 | 403 | 404; reason: string };

export async function makeRoot(given: string, label = given): Promise<Root> {
  let real: string;
  try {
    real = await realpath(given);
  } catch {
    throw new FileError('FILE_NOT_FOUND', `${given} does not exist`);
  }
  const info = await stat(real);
  if (!info.isFile() && !info.isDirectory())
    throw new FileError('NOT_A_FILE', `${given} is neither a file nor a folder`);
  return { label, real, kind: info.isDirectory() ? 'folder' : 'file' };
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The real path of `relative` (URL-decoded, '/'-separated) inside `root`, or why it is refused. A file root
 * serves only itself, under its own base name.
 */
export async function resolveInRoot(root: Root, relative: string): Promise<string | Refusal> {
  if (relative.includes('\0')) return { status: 400, reason: 'path contains a NUL byte' };
  if (relative.startsWith('/') || relative.includes('\\') || /^[a-zA-Z]:/.test(relative)) {
    return { status: 400, reason: 'absolute paths are refused' };
  }
  const segments = relative.split('/');
  if (segments.some((s) => s === '..' || s === '.'))
    return { status: 400, reason: "'..' and '.' segments are refused" };
  if (segments.some((s) => s === '')) return { status: 400, reason: 'empty path segment' };
  if (root.kind === 'file') {
    return relative === path.basename(root.real) ? root.real : { status: 404, reason: 'not a served file' };
  }
  let real: string;
  try {
    real = await realpath(path.join(root.real, ...segments));
  } catch {
    return { status: 404, reason: 'no such file' };
  }
  if (!inside(root.real, real)) return { status: 403, reason: 'the path leaves the served folder (symlink)' };
  const info = await stat(real);
  if (!info.isFile()) return { status: 404, reason: 'not a file' };
  return real;
}

/** Files under a folder root, as paths relative to it (for the app's lists), symlinks out of it left out. */
export async function listRoot(
  root: Root,
  accept: (name: string) => boolean,
  limit = 2000,
): Promise<string[]> {
  if (root.kind === 'file') return accept(root.real) ? [path.basename(root.real)] : [];
  const entries = await readdir(root.real, { recursive: true });
  const found: string[] = [];
  for (const entry of entries.sort()) {
    const rel = entry.split(path.sep).join('/');
    if (!accept(rel)) continue;
    const resolved = await resolveInRoot(root, rel);
    if (typeof resolved === 'string') found.push(rel);
    if (found.length >= limit) break;
  }
  return found;
}
