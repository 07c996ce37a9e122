import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';
import { batchedLines, lineBatchesOf, LineSplitter, type ReplayInput } from '@tlbsim/replay';
import { UsageError } from '../errors.js';
import { readStdin, STDIO, withDefaultSignals } from '../io.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (e as Error).message.replace(/^[A-Z]+: /, '');
}

const cannotRead = (file: string, e: unknown) => new UsageError(`cannot read strace output ${file}: ${reason(e)}`);

/**
 * A missing or unreadable FILE is bad input: one line naming it (checked before any replay).
 * Returns whether it is a regular file (one that can be read twice).
 */
export function checkReadable(file: string): boolean {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw cannotRead(file, e);
  }
  if (st.isDirectory()) throw cannotRead(file, { code: 'EISDIR' });
  // opening a FIFO waits for a writer: it is opened once, when it is read (readOnce)
  if (!st.isFile()) return false;
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
  return true;
}

/**
 * The lines of a FIFO or device (/dev/null, a pipe of strace -o): it can be read only once, and
 * the replay reads its inputs once per pass and per architecture, so it is read whole, up front,
 * as readline splits lines. Opening and reading block until the writer is done: with the default
 * signal actions, so Ctrl-C and SIGTERM still end the process at once.
 */
function readOnce(file: string): string[] {
  let text: string;
  try {
    text = withDefaultSignals(() => (file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : readFileSync(file, 'utf8')));
  } catch (e) {
    throw cannotRead(file, e);
  }
  return splitLines(text);
}

/** Lines as readline splits them (no empty last line after the final line break). */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The lines of a compressed file, streamed a batch at a time (decompressed a chunk at a time,
 * never the whole file; split as readline splits them, see linesOf). An error while reading (the file vanished
 * after the check, an I/O error) becomes a one-line usage error naming the file. `count`
 * receives the number of lines read.
 */
async function* gzipLines(file: string, count: (n: number) => void): AsyncGenerator<string[]> {
  const raw = createReadStream(file);
  const input = raw.pipe(createGunzip());
  // the decompressor does not see the file's errors: they end its stream with the error
  raw.on('error', (e) => input.destroy(e));
  input.setEncoding('utf8');
  let n = 0;
  let failure: unknown;
  try {
    for await (const batch of lineBatchesOf(input)) {
      n += batch.length;
      yield batch;
    }
  } catch (e) {
    failure = e;
  } finally {
    input.destroy();
    raw.destroy();
  }
  if (failure) throw cannotRead(file, failure);
  count(n);
}

const CHUNK = 1 << 16;
/**
 * One read buffer for every file: each chunk is decoded to a string as soon as it is read, so
 * sources read in turn (several files interleaved) can share it, and a replay does not allocate
 * 64 KiB per pass.
 */
let readBuf: Buffer | null = null;
/** chunks read between two turns of the event loop (signal handlers run there: Ctrl-C) */
const CHUNKS_PER_TURN = 16;

/**
 * The lines of a regular file, streamed a batch (a chunk's lines) at a time: read a chunk at a
 * time (never the whole file) and split as readline splits them (LineSplitter). The reads are synchronous, a turn of the event loop
 * every 1 MiB: waiting for the thread pool at every chunk cost more than replaying a small
 * trace. An error while reading (the file vanished after the check, an I/O error) becomes a
 * one-line usage error naming the file. `count` receives the number of lines read.
 */
async function* fileLines(file: string, count: (n: number) => void): AsyncGenerator<string[]> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw cannotRead(file, e);
  }
  let n = 0;
  try {
    const buf = (readBuf ??= Buffer.allocUnsafe(CHUNK));
    const dec = new StringDecoder('utf8');
    const split = new LineSplitter();
    for (let chunks = 1; ; chunks++) {
      const lines: string[] = [];
      let got: number;
      try {
        got = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw cannotRead(file, e);
      }
      if (got === 0) split.push(dec.end(), lines);
      else split.push(dec.write(buf.subarray(0, got)), lines);
      if (got === 0) split.end(lines);
      n += lines.length;
      if (lines.length) yield lines;
      if (got === 0) break;
      if (chunks % CHUNKS_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    closeSync(fd);
  }
  count(n);
}

/** The lines of FILE or FILE.gz, read as they are replayed (each iteration reads the file afresh). */
export function streamLines(file: string, count: (n: number) => void): AsyncIterable<string> {
  return batchedLines(() => (file.endsWith('.gz') ? gzipLines(file, count) : fileLines(file, count)));
}

export interface FileInputs {
  inputs: ReplayInput[];
  /** lines of each file, known once it has been read to the end */
  lines: number[];
}

/**
 * One replay input per FILE (`-`: stdin, named `stdin`), named as given (so reports say `trace.txt:15`; `strace -ff` files keep
 * their `.PID` suffix, which gives the pid of their lines). Each input opens its file afresh when
 * iterated, so the engine can read it twice (its first pass counts the concurrent threads).
 */
export function fileInputs(files: readonly string[]): FileInputs {
  if (files.filter((f) => f === STDIO).length > 1) throw new UsageError('tlbsim replay reads stdin (-) once: give - once');
  const regular = files.map((f) => f !== STDIO && checkReadable(f));
  const lines = files.map(() => 0);
  const inputs = files.map((file, i): ReplayInput => {
    if (regular[i]) return { name: file, lines: () => streamLines(file, (n) => (lines[i] = n)) };
    const once = file === STDIO ? splitLines(readStdin('the strace output')) : readOnce(file);
    lines[i] = once.length;
    return { name: file === STDIO ? 'stdin' : file, lines: once };
  });
  return { inputs, lines };
}
