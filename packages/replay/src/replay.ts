/**
 * Replaying strace output through core's mm operations on one backend. Without `cpus` a first
 * pass counts the threads alive at once (the machine gets that many CPUs); the second pass
 * replays on the machine.
 */
import { Machine, type ArchBackend, type Mm, type Thread } from '@tlbsim/core';
import { COUNT_THREADS_ONLY, Replayer } from './engine.js';
import { isOneShot, readAsync, readSync, type ReplayInput } from './inputs.js';
import { MachineModel } from './machine-model.js';
import { checkOptions, type ReplayOptions } from './options.js';
import { replayResult, type ReplayResult } from './result.js';
import { Tally } from './tally.js';

const DEFAULT_MAX_CPUS = 64;

function checkInputs(inputs: ReplayInput[], opts: ReplayOptions): void {
  if (inputs.length === 0) throw new TypeError('replay: no input');
  checkOptions(opts);
  if (opts.cpus === undefined) {
    for (const inp of inputs) {
      if (isOneShot(inp.lines)) {
        throw new TypeError(`replay: input "${inp.name}" can be read only once; pass cpus, or lines that can be read twice (an array, or a function returning a fresh iterable)`);
      }
    }
  }
}

/** The first pass: threads followed, nothing simulated. */
function threadCounter(opts: ReplayOptions): Replayer<null, null> {
  return new Replayer(COUNT_THREADS_ONLY, new Tally(), !!opts.strict, opts.tracePageSize ?? 4096);
}

/** CPUs for the machine: as many as the trace had threads alive at once (at most 64). */
function cpusFrom(counter: Replayer<null, null>): number {
  return Math.min(DEFAULT_MAX_CPUS, Math.max(1, counter.threads.maxLive));
}

/** The second pass: a fresh machine and the replayer that drives it. */
function machineReplay(arch: ArchBackend, cpus: number, opts: ReplayOptions) {
  const m = new Machine({ arch, cpus, trace: opts.trace, traceSink: opts.traceSink, checker: opts.checker ?? true, bugs: opts.bugs });
  opts.setup?.(m);
  const tally = new Tally();
  let rp!: Replayer<Mm, Thread>;
  const model = new MachineModel(m, opts, tally, (rec, start, end) => rp.waitForRelease(rec, start, end));
  rp = new Replayer(model, tally, !!opts.strict, opts.tracePageSize ?? 4096);
  return { m, model, rp };
}

function result(run: ReturnType<typeof machineReplay>, opts: ReplayOptions, counts: number[], first: number[] | null, inputs: ReplayInput[]): ReplayResult {
  if (first) {
    counts.forEach((n, i) => {
      if (n !== first[i]) {
        throw new Error(`replay: input "${inputs[i].name}" gave ${first[i]} lines in the first pass and ${n} in the second; pass cpus, or lines that can be read twice (an array, or a function returning a fresh iterable)`);
      }
    });
  }
  const { m, model, rp } = run;
  return replayResult({
    m, tally: rp.tally, sites: model.sites, amap: model.addressMap, touch: opts.touch ?? 'all', touchCapped: model.touchCapped, tracePage: opts.tracePageSize ?? 4096,
    counts, threads: rp.threads.maxLive, processes: rp.threads.processes,
  });
}

/**
 * Replay strace output through the mm operations on one backend (issue #9). Inputs are read as
 * streams: the replay keeps live state only (threads, address spaces, unfinished calls).
 */
export async function replay(inputs: ReplayInput[], arch: ArchBackend, opts: ReplayOptions = {}): Promise<ReplayResult> {
  checkInputs(inputs, opts);
  let cpus = opts.cpus;
  let first: number[] | null = null;
  if (cpus === undefined) {
    const counter = threadCounter(opts);
    first = await readAsync(inputs, counter);
    cpus = cpusFrom(counter);
  }
  const run = machineReplay(arch, cpus, opts);
  const counts = await readAsync(inputs, run.rp);
  return result(run, opts, counts, first, inputs);
}

/** {@link replay} for inputs whose lines are synchronous iterables (arrays, generators of lines). */
export function replaySync(inputs: ReplayInput[], arch: ArchBackend, opts: ReplayOptions = {}): ReplayResult {
  checkInputs(inputs, opts);
  for (const inp of inputs) {
    const src = typeof inp.lines === 'function' ? null : inp.lines;
    if (src && typeof (src as Iterable<string>)[Symbol.iterator] !== 'function') throw new TypeError(`replaySync: input "${inp.name}" is not a synchronous iterable; use replay()`);
  }
  let cpus = opts.cpus;
  let first: number[] | null = null;
  if (cpus === undefined) {
    const counter = threadCounter(opts);
    first = readSync(inputs, counter);
    cpus = cpusFrom(counter);
  }
  const run = machineReplay(arch, cpus, opts);
  const counts = readSync(inputs, run.rp);
  return result(run, opts, counts, first, inputs);
}
