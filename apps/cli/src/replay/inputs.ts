import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ReplayInput } from '@tlbsim/replay';
import { UsageError } from '../errors.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (e as Error).message.replace(/^[A-Z]+: /, '');
}

const cannotRead = (file: string, e: unknown) => new UsageError(`cannot read strace output ${file}: ${reason(e)}`);

/** A missing or unreadable FILE is bad input: one line naming it (checked before any replay). */
export function checkReadable(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw cannotRead(file, e);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw cannotRead(file, { code: 'EISDIR' });
  } finally {
    closeSync(fd);
  }
}

/**
 * The lines of a file, streamed (readline over a read stream: a chunk at a time, never the whole
 * file). An error while reading (the file vanished after the check, an I/O error) becomes a
 * one-line usage error naming the file. `count` receives the number of lines read.
 */
async function* streamLines(file: string, count: (n: number) => void): AsyncGenerator<string> {
  const input = createReadStream(file);
  let failure: unknown;
  const rl = createInterface({ input, crlfDelay: Infinity });
  input.on('error', (e) => {
    failure ??= e;
    rl.close(); // ends the loop below; the error is thrown after it
  });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      yield line;
    }
  } catch (e) {
    failure ??= e;
  } finally {
    rl.close();
    input.destroy();
  }
  if (failure) throw cannotRead(file, failure);
  count(n);
}

export interface FileInputs {
  inputs: ReplayInput[];
  /** lines of each file, known once it has been read to the end */
  lines: number[];
}

/**
 * One replay input per FILE, named as given (so reports say `trace.txt:15`; `strace -ff` files keep
 * their `.PID` suffix, which gives the pid of their lines). Each input opens its file afresh when
 * iterated, so the engine can read it twice (its first pass counts the concurrent threads).
 */
export function fileInputs(files: readonly string[]): FileInputs {
  for (const f of files) checkReadable(f);
  const lines = files.map(() => 0);
  const inputs = files.map((file, i) => ({ name: file, lines: () => streamLines(file, (n) => (lines[i] = n)) }));
  return { inputs, lines };
}
