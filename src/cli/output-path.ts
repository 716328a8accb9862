/**
 * Output paths checked before any work starts (a lab, a capture, a synthesis): a directory that
 * cannot be made or a file that cannot be written is one line naming the option, not an error
 * after the run, when its figures are lost.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MdlabError, quote } from '../errors.js';

const notADirectory = () => Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of it is a file, not a directory' : code === 'EROFS' ? 'a read-only file system' : (code ?? (err as Error).message);
}

/** A file the command will write: its directory must exist and be writable, and it must not be a directory. */
export function checkOutputFile(option: string, path: string): void {
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw notADirectory();
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new MdlabError(`${option} ${quote(path)}: cannot write there (${reason(err)}: ${dir})`);
  }
  try {
    if (statSync(path).isDirectory()) throw new MdlabError(`${option} ${quote(path)}: is a directory, expected a file to write`);
  } catch (err) {
    if (err instanceof MdlabError) throw err;
    // absent: it will be made
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdirSync never returns for a path under
 * /proc (it retries an ENOENT from a parent that exists).
 */
function makeDir(path: string): void {
  try {
    if (statSync(path).isDirectory()) return;
    throw notADirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const parent = dirname(path);
  if (parent !== path) makeDir(parent);
  mkdirSync(path);
}

/** A directory the command will write into: made now (with its parents), and writable. */
export function checkOutputDir(option: string, path: string): void {
  try {
    makeDir(resolve(path));
    accessSync(path, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MdlabError(`${option} ${quote(path)}: cannot write results there (${code === 'ENOENT' ? 'no directory can be made there' : reason(err)})`);
  }
}
