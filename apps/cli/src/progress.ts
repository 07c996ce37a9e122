/**
 * A progress line on stderr for a command that runs longer than about a second: what runs, a bar,
 * done/total and the time left (estimated from the pace so far). Only on a terminal: a pipe or a
 * log file gets nothing. Hand-written: a dozen lines that redraw one line with `\r`; the progress
 * libraries (cli-progress, listr2) bring templates, multi-bars and their own terminal handling
 * that this does not need.
 */

export interface ProgressOptions {
  stream?: { isTTY?: boolean; columns?: number; write(s: string): unknown };
  /** nothing is drawn before this much time has passed (quick commands stay quiet) */
  delayMs?: number;
  now?: () => number;
}

export interface Progress {
  /** `done` of the total finished (a fraction within a long step); `what` names the step running now */
  tick(done: number, what?: string): void;
  /** clear the line */
  end(): void;
}

const QUIET: Progress = { tick: () => {}, end: () => {} };

/** The time left as `12s`, `3m05s` or `1h02m`. */
export function formatEta(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** One progress line (without the `\r`). */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, columns: number, what = ''): string {
  const eta = done > 0 && done < total ? `, ${formatEta((elapsedMs / done) * (total - done))} left` : done >= total ? '' : ', estimating';
  const tail = ` ${Math.floor(done)}/${total}${eta}${what ? `  ${what}` : ''}`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const full = Math.min(width, Math.round((done / Math.max(1, total)) * width));
  return `${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}]${tail}`.slice(0, Math.max(1, columns - 1));
}

/** TLBSIM_PROGRESS_DELAY_MS: when the line appears (default 1000 ms; 0 at once). */
function defaultDelay(): number {
  const v = Number(process.env.TLBSIM_PROGRESS_DELAY_MS);
  return Number.isFinite(v) && v >= 0 ? v : 1000;
}

export function progress(label: string, total: number, o: ProgressOptions = {}): Progress {
  const stream = o.stream ?? process.stderr;
  if (!stream.isTTY || total <= 0) return QUIET;
  const now = o.now ?? Date.now;
  const delay = o.delayMs ?? defaultDelay();
  const start = now();
  let drawn = false;
  let last = -Infinity;
  return {
    tick(done, what) {
      const t = now();
      // redraw at most ten times a second (the last step always)
      if (t - start < delay || (t - last < 100 && done < total)) return;
      last = t;
      drawn = true;
      stream.write(`\r${progressLine(label, done, total, t - start, stream.columns || 80, what)}\x1b[K`);
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
