/**
 * Replaying strace output through core's mm operations on one backend. Without `cpus` a first
 * pass counts the threads alive at once (the machine gets that many CPUs); the second pass
 * replays on the machine.
 */
import { Machine, MAX_CPUS, type ArchBackend, type Mm, type Thread } from '@tlbsim/core';
import { COUNT_THREADS_ONLY, Replayer } from './engine.js';
import { looksLikeFtrace, type FtraceReader } from './ftrace-events.js';
import { isOneShot, readAsync, readSync, type LineSource, type ReplayInput } from './inputs.js';
import { MachineModel } from './machine-model.js';
import { RecordedModel } from './recorded-model.js';
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

/** The first pass: threads followed, nothing simulated; the kernel recordings among the inputs noted. */
function threadCounter(opts: ReplayOptions): { counter: Replayer<null, null>; recordings: FtraceReader[] } {
  const recordings: FtraceReader[] = [];
  const counter = new Replayer({ ...COUNT_THREADS_ONLY, recording: (r) => recordings.push(r) }, new Tally(), !!opts.strict, opts.tracePageSize ?? 4096);
  return { counter, recordings };
}

/** CPUs for the machine: a recording's own, else as many as the trace had threads alive at once (at most 64). */
function cpusFrom(counter: Replayer<null, null>, recordings: FtraceReader[]): number {
  if (recordings.length) return Math.min(MAX_CPUS, Math.max(1, ...recordings.map((r) => r.cpus)));
  return Math.min(DEFAULT_MAX_CPUS, Math.max(1, counter.threads.maxLive));
}

/** The first line of a source that can be read again (undefined for one that cannot, or is empty). */
function firstLineSync(src: ReplayInput['lines']): string | undefined {
  if (isOneShot(src)) return undefined;
  const s = (typeof src === 'function' ? src() : src) as Partial<Iterable<string>>;
  if (typeof s[Symbol.iterator] !== 'function') return undefined;
  const it = s[Symbol.iterator]!();
  const r = it.next();
  it.return?.();
  return r.done ? undefined : r.value;
}

async function firstLine(src: ReplayInput['lines']): Promise<string | undefined> {
  if (isOneShot(src)) return undefined;
  const s = (typeof src === 'function' ? src() : src) as LineSource;
  if (typeof (s as Iterable<string>)[Symbol.iterator] === 'function') return firstLineSync(() => s);
  const it = (s as AsyncIterable<string>)[Symbol.asyncIterator]();
  const r = await it.next();
  await it.return?.();
  return r.done ? undefined : r.value;
}

/** The second pass: a fresh machine and the replayer that drives it (the recorded model for kernel recordings). */
function machineReplay(arch: ArchBackend, cpus: number, opts: ReplayOptions, recorded: boolean) {
  const m = new Machine({ arch, cpus, trace: opts.trace, traceSink: opts.traceSink, checker: opts.checker ?? true, bugs: opts.bugs });
  opts.setup?.(m);
  const tally = new Tally();
  let rp!: Replayer<Mm, Thread>;
  const wait = (rec: Parameters<MachineModel['memoryCall']>[1], start: number, end: number) => rp.waitForRelease(rec, start, end);
  const model = recorded ? new RecordedModel(m, opts, tally, wait) : new MachineModel(m, opts, tally, wait);
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
  const rec = model instanceof RecordedModel ? model : undefined;
  return replayResult({
    m, tally: rp.tally, sites: model.sites, amap: model.maps, touch: rec?.reader?.faults ? 'none' : opts.touch ?? 'all', touchCapped: model.touchCapped, tracePage: opts.tracePageSize ?? 4096,
    counts, threads: rp.threads.maxLive, processes: rp.threads.processes, recorded: rec,
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
  let recorded: boolean;
  const ftrace = { pid: opts.pid };
  if (cpus === undefined) {
    const { counter, recordings } = threadCounter(opts);
    first = await readAsync(inputs, counter, ftrace);
    cpus = cpusFrom(counter, recordings);
    recorded = recordings.length > 0;
  } else {
    recorded = false;
    for (const inp of inputs) if (looksLikeFtrace((await firstLine(inp.lines)) ?? '')) recorded = true;
  }
  const run = machineReplay(arch, cpus, opts, recorded);
  const counts = await readAsync(inputs, run.rp, ftrace);
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
  let recorded: boolean;
  const ftrace = { pid: opts.pid };
  if (cpus === undefined) {
    const { counter, recordings } = threadCounter(opts);
    first = readSync(inputs, counter, ftrace);
    cpus = cpusFrom(counter, recordings);
    recorded = recordings.length > 0;
  } else recorded = inputs.some((inp) => looksLikeFtrace(firstLineSync(inp.lines) ?? ''));
  const run = machineReplay(arch, cpus, opts, recorded);
  const counts = readSync(inputs, run.rp, ftrace);
  return result(run, opts, counts, first, inputs);
}
