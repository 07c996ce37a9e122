import { randomBytes } from 'node:crypto';
import { lstatSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Temporary files being written, removed on an error or Ctrl-C. */
const temps = new Set<string>();

/** Where writing `file` lands: symlinks followed (a dangling one to the file it names). */
export function outputTarget(file: string): string {
  const abs = resolve(file);
  try {
    const st = statSync(abs);
    // a device, FIFO or /dev/stdout (a /proc magic link to a pipe) is opened by the name given
    if (!st.isFile() && !st.isDirectory()) return abs;
    return realpathSync.native(abs);
  } catch {
    /* nothing there yet: a new file, maybe named through a dangling link */
  }
  let p = abs;
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      // the directory may itself be reached through links
      try {
        return join(realpathSync.native(dirname(p)), basename(p));
      } catch {
        return p;
      }
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new UsageError(`cannot write ${file}: too many levels of symbolic links`);
}

/**
 * The output options of one command, checked before any work: no empty path, no two options
 * writing the same file (directly or through a link), none naming a directory.
 */
export function checkOutputs(outputs: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  for (const [opt, file] of Object.entries(outputs)) {
    if (file === undefined) continue;
    const target = outputTarget(file);
    const other = seen.get(target);
    if (other) throw new UsageError(`${other} and ${opt} both write ${file}: give each output its own file`);
    seen.set(target, opt);
    if (isDirectory(target)) throw new UsageError(`cannot write ${file}: it is a directory`);
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A write error in words, naming the user's path (never the temporary file). */
export function cannotWrite(file: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such directory',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'it is a directory',
    EROFS: 'read-only file system',
    EIO: 'input/output error',
  };
  const why = (err.code && Object.hasOwn(words, err.code) ? words[err.code] : undefined) ?? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'( -> '[^']*')?$/, '');
  return new UsageError(`cannot write ${file}: ${why}`);
}

/**
 * Write `file`. A regular file (or a new one) is written atomically: the data goes to a temporary
 * file in the target's directory, then is renamed over it, so an error or an interrupt never
 * leaves a partial file. A symlink is written through to its target (the link stays). An existing
 * device, FIFO or socket is written directly (renaming over it would replace the node).
 */
export function writeAtomic(file: string, data: string): void {
  const target = outputTarget(file);
  let st: Stats | undefined;
  try {
    st = statSync(target);
  } catch {
    st = undefined;
  }
  if (st && st.isDirectory()) throw new UsageError(`cannot write ${file}: it is a directory`);
  if (st && !st.isFile()) {
    try {
      // opening a FIFO waits for a reader: Ctrl-C must still end it (nothing temporary exists)
      withDefaultSignals(() => writeFileSync(target, data));
    } catch (e) {
      throw cannotWrite(file, e);
    }
    return;
  }
  const tmp = tempFor(target);
  try {
    writeFileSync(tmp, data, st ? { mode: st.mode & 0o7777 } : {});
    renameSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    throw cannotWrite(file, e);
  } finally {
    temps.delete(tmp);
  }
}

/**
 * A new temporary file's name beside `target` (the same file system, so renaming it over the
 * target is atomic), registered for removal on an error (removeTemps) until forgetTemp.
 */
export function tempFor(target: string): string {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  temps.add(tmp);
  return tmp;
}
export function forgetTemp(tmp: string): void {
  temps.delete(tmp);
}

export function removeQuietly(f: string): void {
  try {
    unlinkSync(f);
  } catch {
    /* already gone */
  }
}

/**
 * Run a long synchronous step (parsing, reading a FIFO, simulating) with the default signal
 * actions: a JavaScript handler cannot run while the thread is busy or blocked, so Ctrl-C
 * (SIGINT) and SIGTERM end the process at once instead (nothing has been written yet: outputs
 * are written, atomically, only after the runs).
 */
export function withDefaultSignals<T>(fn: () => T): T {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, process.listeners(s)] as const);
  for (const [s] of saved) process.removeAllListeners(s);
  try {
    return fn();
  } finally {
    for (const [s, ls] of saved) for (const l of ls) process.on(s, l as NodeJS.SignalsListener);
  }
}

/**
 * The same for an asynchronous step (the sweep's worker pool): with hundreds of workers busy the
 * main thread may not get to a handler for a second, and exiting has to stop every worker; the
 * default action ends the whole process at once.
 */
export async function withDefaultSignalsAsync<T>(fn: () => Promise<T>): Promise<T> {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, process.listeners(s)] as const);
  for (const [s] of saved) process.removeAllListeners(s);
  try {
    return await fn();
  } finally {
    for (const [s, ls] of saved) for (const l of ls) process.on(s, l as NodeJS.SignalsListener);
  }
}

export function removeTemps(): void {
  for (const t of temps) removeQuietly(t);
  temps.clear();
}

/** Output to a file (atomically) or to stdout. */
export function emit(data: string, out: string | undefined): void {
  if (out !== undefined) writeAtomic(out, data);
  else process.stdout.write(data);
}
