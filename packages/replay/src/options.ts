import { MAX_CPUS, type BugOptions, type Machine, type TraceSink } from '@tlbsim/core';

/** Which pages the replay assumes the program touched (strace shows no page faults). */
export type TouchRule = 'all' | 'none' | 'written';

export interface ReplayOptions {
  /** simulated CPUs (default: the most threads the trace has alive at once, at most 64) */
  cpus?: number;
  /** default 'all', see {@link ReplayResult.assumption} */
  touch?: TouchRule;
  /** an unparseable line is an error instead of a skipped line */
  strict?: boolean;
  /** record trace events (one `syscall` event per replayed call, plus the machine's own) */
  trace?: boolean;
  /** stream the trace events here instead of keeping them (MachineOptions.traceSink) */
  traceSink?: TraceSink;
  /** run the hazard checker (default on) */
  checker?: boolean;
  bugs?: BugOptions;
  /** called with the fresh machine (e.g. to install hugetlb support) */
  setup?: (m: Machine) => void;
  /** page size of the traced machine (default 4096) */
  tracePageSize?: number;
  /** a kernel recording: replay only the process tree rooted at this pid (default: tlbsim record's root, else every task) */
  pid?: number;
}

/** With `strict`: the first line that cannot be replayed, as `FILE:LINE: reason`. */
export class ReplayError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ReplayError';
  }
}

/** Bad options are the caller's mistake: thrown before anything is read. */
export function checkOptions(opts: ReplayOptions): void {
  if (opts.cpus !== undefined && (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > MAX_CPUS)) {
    throw new RangeError(`replay: cpus must be an integer from 1 to ${MAX_CPUS}, got ${opts.cpus}`);
  }
  if (opts.touch !== undefined && !['all', 'none', 'written'].includes(opts.touch)) {
    throw new TypeError(`replay: touch must be 'all', 'none' or 'written', got ${JSON.stringify(opts.touch)}`);
  }
}
