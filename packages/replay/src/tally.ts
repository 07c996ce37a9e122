import type { OpResult } from '@tlbsim/core';
import type { CallEvent } from './strace-events.js';

export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
}

const MAX_SKIPPED = 100;

/** What the replay counts about the trace itself: calls, failures, lines skipped and why. */
export class Tally {
  syscalls = 0;
  failures = 0;
  implied = 0;
  divergences = 0;
  skippedCount = 0;
  /** the first 100 */
  readonly skipped: SkippedLine[] = [];

  skip(file: string, line: number, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < MAX_SKIPPED) this.skipped.push({ file, line, reason });
  }

  /** The model refused a call that succeeded in the trace: a divergence, and the line is skipped. */
  refuse(ev: CallEvent, what: string, r: OpResult): void {
    this.divergences++;
    this.skip(ev.file, ev.line, `not replayed: the simulated ${what} refused: ${r.message ?? r.errno}`);
  }
}
