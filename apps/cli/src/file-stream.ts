/**
 * A file written piece by piece while a run goes on (a streamed trace), with writeAtomic's
 * guarantees: a regular file (or a new one) is written to a temporary file beside it and renamed
 * over it only when complete, so an error never leaves a partial output file; an existing device,
 * FIFO or socket is written directly.
 *
 * Writes are synchronous (writeSync on a buffer of BUFFER_BYTES): the simulation producing the
 * data is synchronous too, and a blocking write is backpressure by construction: the producer
 * waits for the disk, nothing queues in memory beyond one buffer.
 */
import { closeSync, openSync, readdirSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cannotWrite, forgetTemp, outputTarget, removeQuietly, tempFor, withDefaultSignals } from './io.js';
import { UsageError } from './errors.js';

export const BUFFER_BYTES = 1 << 20;

export class FileStream {
  private readonly fd: number;
  /** the temporary file renamed over the target at the end; undefined: written in place */
  private readonly tmp: string | undefined;
  private readonly target: string;
  private parts: string[] = [];
  private size = 0;
  private closed = false;

  constructor(readonly file: string) {
    this.target = outputTarget(file);
    let st: Stats | undefined;
    try {
      st = statSync(this.target);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) throw new UsageError(`cannot write ${file}: it is a directory`);
    try {
      if (st && !st.isFile()) {
        this.tmp = undefined;
        // opening a FIFO waits for a reader: Ctrl-C must still end it (nothing temporary exists)
        this.fd = withDefaultSignals(() => openSync(this.target, 'w'));
      } else {
        removeStaleTemps(this.target);
        this.tmp = tempFor(this.target);
        this.fd = openSync(this.tmp, 'wx', st ? st.mode & 0o7777 : 0o666);
      }
    } catch (e) {
      if (this.tmp) this.discardTemp();
      throw cannotWrite(file, e);
    }
  }

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= BUFFER_BYTES) this.flush();
  }

  private flush(): void {
    if (!this.size) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    try {
      // writeSync may write less than asked (a pipe): go on from where it stopped
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
    } catch (e) {
      this.abort();
      throw cannotWrite(this.file, e);
    }
  }

  /** Write what is buffered, close, and put the file in place. */
  finish(): void {
    this.flush();
    this.closed = true;
    try {
      closeSync(this.fd);
      if (this.tmp) renameSync(this.tmp, this.target);
    } catch (e) {
      if (this.tmp) this.discardTemp();
      throw cannotWrite(this.file, e);
    }
    if (this.tmp) forgetTemp(this.tmp);
  }

  /** Give up: close and remove the temporary file (the target is left as it was). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.parts = [];
    try {
      closeSync(this.fd);
    } catch {
      /* closed already */
    }
    if (this.tmp) this.discardTemp();
  }

  private discardTemp(): void {
    removeQuietly(this.tmp!);
    forgetTemp(this.tmp!);
  }
}

/**
 * Remove the temporary files of `target` that processes no longer alive left: Ctrl-C during a
 * streamed run ends the process at once (the default signal action, no JavaScript runs while the
 * simulation does), so its temporary file stays until the next run writing the same target.
 */
function removeStaleTemps(target: string): void {
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(n.slice(prefix.length));
    if (m && !alive(Number(m[1]))) removeQuietly(join(dirname(target), n));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
