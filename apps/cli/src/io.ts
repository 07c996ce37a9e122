import { randomBytes } from 'node:crypto';
import { createWriteStream, lstatSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createGzip } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type writeFileAtomicType from 'write-file-atomic';
import { UsageError } from './errors.js';
import { armInterrupts, withDefaultSignals } from './interrupts.js';

export { withDefaultSignals, withDefaultSignalsAsync } from './interrupts.js';

// write-file-atomic (CommonJS) is loaded on the first write, not at start (it brings signal-exit)
let writeFileAtomic: typeof writeFileAtomicType | undefined;
const atomic = () => (writeFileAtomic ??= createRequire(import.meta.url)('write-file-atomic') as typeof writeFileAtomicType);

/** `-` as a file name: standard input (run, check, replay) or standard output (--out and the like). */
export const STDIO = '-';

/** How standard input is read: all of it, once (an in-process test run replaces it). */
export const stdin = { read: (): string => readFileSync(0, 'utf8') };

/** Standard input as text, read once and whole (a pipe can be read only once). */
export function readStdin(what: string): string {
  try {
    // reading blocks until the writer is done: Ctrl-C and SIGTERM must end it at once
    return withDefaultSignals(() => stdin.read());
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} from stdin: ${code === 'EAGAIN' ? 'it is a terminal in non-blocking mode; pipe the input in' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

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
    const target = file === STDIO ? 'stdout' : outputTarget(file);
    const other = seen.get(target);
    if (other) throw new UsageError(`${other} and ${opt} both write ${file === STDIO ? 'stdout (-)' : file}: give each output its own file`);
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
  // ENOENT with the directory there: it takes no new files (/proc, a vanished mount)
  if (err.code === 'ENOENT' && isDirectory(dirname(resolve(file)))) words.ENOENT = 'files cannot be created in that directory';
  const why = (err.code && Object.hasOwn(words, err.code) ? words[err.code] : undefined) ?? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'( -> '[^']*')?$/, '');
  return new UsageError(`cannot write ${file}: ${why}`);
}

/**
 * Write `file` (`-`: stdout). A regular file (or a new one) is written atomically by
 * write-file-atomic: the data goes to a temporary file beside the target, is flushed to the disk
 * and renamed over it, so an error, an interrupt or a crash never leaves a partial file. A
 * symlink is written through to its target (the link stays). An existing device, FIFO or socket
 * is written directly (renaming over it would replace the node). Errors name `file`, never the
 * temporary one.
 */
export function writeAtomic(file: string, data: string): void {
  if (file === STDIO) {
    process.stdout.write(data);
    return;
  }
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
  let tmp: string | undefined;
  try {
    atomic().sync(target, data, { tmpfileCreated: (t: string) => temps.add((tmp = t)) });
  } catch (e) {
    throw cannotWrite(file, e);
  } finally {
    if (tmp !== undefined) temps.delete(tmp);
  }
}

/**
 * A new temporary file's name beside `target` (the same file system, so renaming it over the
 * target is atomic), registered for removal on an error (removeTemps) until forgetTemp.
 */
export function tempFor(target: string): string {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  armInterrupts();
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

export function removeTemps(): void {
  for (const t of temps) removeQuietly(t);
  temps.clear();
}

/** Output to a file (atomically) or to stdout (no --out, or `-o -`). */
export function emit(data: string, out: string | undefined): void {
  if (out !== undefined) writeAtomic(out, data);
  else process.stdout.write(data);
}

/** Whether output going to `out` may be coloured: only what goes to stdout (a terminal). */
export function colorTarget(out: string | undefined): { isTTY?: boolean } {
  return out === undefined || out === STDIO ? process.stdout : { isTTY: false };
}

/** A file written piece by piece, atomically: nothing appears under its name until commit(). */
export interface AtomicStream {
  write(text: string): void;
  /** finish and rename over the target */
  commit(): Promise<void>;
  /** remove what was written */
  abort(): void;
}

/** {@link writeAtomic} for output streamed as it is produced; a name ending in `.gz` is gzip-compressed. */
export function openAtomic(file: string): AtomicStream {
  const target = outputTarget(file);
  try {
    if (statSync(target).isDirectory()) throw new UsageError(`cannot write ${file}: it is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  armInterrupts();
  temps.add(tmp);
  let failure: unknown;
  const out = createWriteStream(tmp);
  out.on('error', (e) => (failure ??= e));
  const gz = file.endsWith('.gz') ? createGzip() : null;
  if (gz) gz.pipe(out);
  const sink = gz ?? out;
  return {
    write(text) {
      sink.write(text);
    },
    async commit() {
      await new Promise<void>((resolve) => {
        out.on('close', () => resolve());
        sink.end();
      });
      try {
        if (failure) throw failure;
        renameSync(tmp, target);
      } catch (e) {
        removeQuietly(tmp);
        throw cannotWrite(file, e);
      } finally {
        temps.delete(tmp);
      }
    },
    abort() {
      out.destroy();
      removeQuietly(tmp);
      temps.delete(tmp);
    },
  };
}
