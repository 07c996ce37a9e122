import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Temporary files being written, removed on an error or Ctrl-C. */
const temps = new Set<string>();

/**
 * Write `file` atomically: the data goes to a temporary file in the same directory, which is then
 * renamed over `file`. An error or an interrupt never leaves a partial `file` behind.
 */
export function writeAtomic(file: string, data: string): void {
  const abs = resolve(file);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  temps.add(tmp);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (e) {
    removeQuietly(tmp);
    throw new UsageError(`cannot write ${file}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  } finally {
    temps.delete(tmp);
  }
}

function removeQuietly(f: string): void {
  try {
    unlinkSync(f);
  } catch {
    /* already gone */
  }
}

/**
 * Run a long synchronous simulation with the default signal actions: a JavaScript handler cannot
 * run while the loop is busy, so Ctrl-C (SIGINT) and SIGTERM end the process at once instead
 * (nothing has been written yet: outputs are written, atomically, only after the runs).
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

export function removeTemps(): void {
  for (const t of temps) removeQuietly(t);
  temps.clear();
}

/** Output to a file (atomically) or to stdout. */
export function emit(data: string, out: string | undefined): void {
  if (out) writeAtomic(out, data);
  else process.stdout.write(data);
}
