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
  const sp = new LineSplitter();
  const out: string[] = [];
  for await (const chunk of chunks) {
    sp.push(chunk, out);
    yield* out;
    out.length = 0;
  }
  sp.end(out);
  yield* out;
}
