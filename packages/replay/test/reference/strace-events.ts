// The StraceParser as it was before it read the scanner's fields directly (strace-events.ts): the
// pattern-based line parser (reference/strace-line.ts) feeding the replay's own event assembly.
// The reference the scanner must agree with exactly (parse-equivalence.test.ts); not used by the replay.
import { StraceParser, type StraceEvent } from '../../src/strace-events.js';
import type { ParsedLine } from '../../src/strace-line.js';
import { parseLine } from './strace-line.js';

export class ReferenceParser extends StraceParser {
  override push(text: string): StraceEvent {
    const n = ++this.lines;
    const p = parseLine(text);
    if (p.pid !== undefined) this.sawPid = true;
    return this.event(n, p as ParsedLine);
  }
}
