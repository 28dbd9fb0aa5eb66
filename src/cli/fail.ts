/** Turn any thrown value into the one line a CLI user sees, and its exit code. */
import { NetlensError } from '../errors.js';

export interface Failure {
  line: string;
  exitCode: number;
}

/**
 * Library messages name options as the library spells them (`maxPixels`); on the command line the user knows
 * the flag (`--max-pixels`). `flags` maps option names to flags, from the commands' own definitions.
 */
export function withFlagNames(message: string, flags: ReadonlyMap<string, string>): string {
  if (flags.size === 0) return message;
  const names = [...flags.keys()].sort((a, b) => b.length - a.length).join('|');
  return message.replace(
    new RegExp(`(?<![\\w'"-])(${names})(?![\\w'"])`, 'g'),
    (name) => flags.get(name) ?? name,
  );
}

export function describeFailure(
  err: unknown,
  verbose: boolean,
  flags: ReadonlyMap<string, string> = new Map(),
): Failure {
  if (err instanceof NetlensError) {
    const line = `netlens: ${withFlagNames(err.message, flags)} [${err.code}]`;
    return { line: verbose && err.stack ? `${line}\n${err.stack}` : line, exitCode: 1 };
  }
  const system = systemErrorLine(err);
  if (system)
    return { line: verbose && err instanceof Error ? `${system}\n${err.stack}` : system, exitCode: 1 };
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0];
  const line = `netlens: internal error: ${firstLine}`;
  return {
    line:
      verbose && err instanceof Error && err.stack
        ? `${line}\n${err.stack}`
        : `${line} (run with --verbose for details)`,
    exitCode: 2,
  };
}

/** What a failed file-system call (mkdir, open, rename, ...) means to a user, by its errno code. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a parent is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A Node system error from a file-system call that no command turned into a typed error (e.g. creating an
 * output folder under a regular file) still gets one line with a stable code, not an internal error.
 */
function systemErrorLine(err: unknown): string | undefined {
  const e = err as { code?: unknown; syscall?: unknown; path?: unknown } | null;
  if (!(err instanceof Error) || typeof e?.code !== 'string' || typeof e.syscall !== 'string')
    return undefined;
  const reason = FS_REASONS[e.code];
  if (!reason) return undefined;
  const where = typeof e.path === 'string' ? ` ${e.path}` : '';
  const writing = ['mkdir', 'write', 'rename', 'unlink', 'rmdir', 'copyfile'].includes(e.syscall);
  const code = writing ? 'OUTPUT_ERROR' : 'FILE_ERROR';
  return `netlens: could not ${e.syscall}${where}: ${reason} [${code}]`;
}
