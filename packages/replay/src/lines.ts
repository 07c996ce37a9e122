/**
 * Text chunks (a file read a chunk at a time) split into lines as node's readline splits them
 * with `crlfDelay: Infinity`: at `\n`, `\r\n` or a lone `\r`, a `\r\n` split across two chunks
 * counting once, and no empty line after the last line break. Readline's own async iterator
 * costs a few microseconds a line, more than replaying most lines; this costs a string slice.
 */
export class LineSplitter {
  private rest = '';
  /** the previous chunk ended with `\r`: a `\n` starting this one ends no line */
  private sawCr = false;

  /** The lines `chunk` completes, appended to `out`. */
  push(chunk: string, out: string[]): void {
    if (chunk === '') return;
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let from = this.sawCr && text.charCodeAt(0) === 10 ? 1 : 0;
    this.sawCr = false;
    const n = text.length;
    if (text.indexOf('\r', from) < 0) {
      // no \r (the usual text): the line breaks are found by indexOf, not a loop over every character
      for (let i = text.indexOf('\n', from); i >= 0; i = text.indexOf('\n', from)) {
        out.push(text.slice(from, i));
        from = i + 1;
      }
      this.rest = from < n ? text.slice(from) : '';
      return;
    }
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        out.push(text.slice(from, i));
        if (c === 13) {
          if (i + 1 === n) this.sawCr = true;
          else if (text.charCodeAt(i + 1) === 10) i++;
        }
        from = i + 1;
      }
    }
    this.rest = from < n ? text.slice(from) : '';
  }

  /** The last line, when the text does not end with a line break. */
  end(out: string[]): void {
    if (this.rest !== '') out.push(this.rest);
    this.rest = '';
  }
}

/** The lines of chunks read asynchronously (a stream with an encoding set). */
export async function* linesOf(chunks: AsyncIterable<string>): AsyncGenerator<string, void, undefined> {
  for await (const batch of lineBatchesOf(chunks)) yield* batch;
}

/** The lines of chunks read asynchronously, a batch (the lines each chunk completes) at a time. */
export async function* lineBatchesOf(chunks: AsyncIterable<string>): AsyncGenerator<string[], void, undefined> {
  const sp = new LineSplitter();
  for await (const chunk of chunks) {
    const out: string[] = [];
    sp.push(chunk, out);
    if (out.length) yield out;
  }
  const out: string[] = [];
  sp.end(out);
  if (out.length) yield out;
}

/** The key of the method that hands a source's lines over a batch at a time (see {@link batchedLines}). */
export const LINE_BATCHES: unique symbol = Symbol.for('tlbsim.replay.lineBatches');

/** Lines that can be read a batch at a time: one wait per batch, where an async iterable of lines waits at every line. */
export interface BatchedLines extends AsyncIterable<string> {
  [LINE_BATCHES](): AsyncIterator<readonly string[]>;
}

/**
 * An async line source made of batches of lines (each call of `open` starts it over). Iterated
 * as any async iterable of lines; the replay takes it a batch at a time: a wait per line cost
 * more than parsing the line.
 */
export function batchedLines(open: () => AsyncIterable<readonly string[]>): BatchedLines {
  return {
    [LINE_BATCHES]: () => open()[Symbol.asyncIterator](),
    async *[Symbol.asyncIterator]() {
      for await (const batch of open()) yield* batch;
    },
  };
}
