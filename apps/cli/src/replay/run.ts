import type { Machine, TraceEvent } from '@tlbsim/core';
import { replay, ReplayError, type ReplayInput, type ReplayResult, type TouchRule } from '@tlbsim/replay';
import { makeBackend, type ArchVariant } from '../arches.js';
import type { VariantRun } from '../engine.js';
import { UsageError } from '../errors.js';
import { progress } from '../progress.js';
import { hugetlbExtra, setupHugetlb } from '../workloads/hugetlb-share.js';
import type { Extra } from '../workloads/params.js';
import type { TraceWriter } from '../trace-file.js';

export const TOUCH_RULES: readonly TouchRule[] = ['all', 'none', 'written'];

/** One architecture variant's replay: a VariantRun (so the compare formatters and traces take it). */
export interface ReplayRun extends VariantRun {
  /** `extra.replay` holds the per-variant replay figures (rows `replay.*` of the table) */
  result: ReplayResult & { extra: Extra };
}

export interface ReplayRunOptions {
  touch: TouchRule;
  /** undefined: as many CPUs as the trace has threads alive at once (at most 64) */
  cpus?: number;
  strict: boolean;
  /** the trace file the runs stream into */
  trace?: TraceWriter;
  /** a kernel recording: the root of the process tree to replay */
  pid?: number;
}

/**
 * Replay the inputs on every variant, one after the other. Without `cpus` the first variant's
 * replay reads the inputs twice (the engine's first pass counts the threads); that count does not
 * depend on the architecture, so the other variants are given it and read the inputs once.
 */
export async function replayAll(inputs: ReplayInput[], variants: readonly ArchVariant[], o: ReplayRunOptions): Promise<ReplayRun[]> {
  const runs: ReplayRun[] = [];
  let cpus = o.cpus;
  const bar = progress(`replay ${inputs.map((i) => i.name).join(' ')}`, variants.length);
  try {
    for (const variant of variants) {
      bar.tick(runs.length, variant.id);
      runs.push(await replayOne(inputs, variant, { ...o, cpus }));
      cpus ??= runs[runs.length - 1].result.cpus.length;
    }
  } finally {
    bar.end();
  }
  return runs;
}

async function replayOne(inputs: ReplayInput[], variant: ArchVariant, o: ReplayRunOptions): Promise<ReplayRun> {
  const arch = makeBackend(variant);
  let m!: Machine;
  const traceTo = o.trace?.run(variant.id);
  const setup = (mm: Machine) => {
    m = mm;
    traceTo?.start(mm);
    setupHugetlb(mm); // hugetlb mappings in the trace work, as in scenarios (V2)
  };
  let r: ReplayResult;
  try {
    r = await replay(inputs, arch, { cpus: o.cpus, touch: o.touch, strict: o.strict, traceSink: traceTo?.sink, setup, ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  } catch (e) {
    // --strict: `FILE:LINE: reason`
    if (e instanceof ReplayError) throw new UsageError(`${e.message} (--strict)`);
    throw e;
  }
  if (r.recording) {
    if (r.syscalls === 0 && r.failures === 0 && r.recording.faults === 0 && r.processes === 0) {
      throw new UsageError(`no event of ${o.pid !== undefined ? `the process tree of pid ${o.pid}` : 'any task'} in the kernel recording ${inputs.map((i) => i.name).join(', ')} (${r.lines} lines read)`);
    }
  } else if (r.syscalls === 0 && r.failures === 0) {
    // not strace output (a scenario file, a log, an empty file, /dev/null, a FIFO nobody wrote
    // to): nothing to replay is a mistake, not a result
    throw new UsageError(`no strace system-call line in ${inputs.map((i) => i.name).join(', ')} (${r.lines} lines read; expected the output of strace -f -tt -e trace=memory,process -o FILE PROGRAM)`);
  }
  const extra: Extra = {
    replay: { skippedCount: r.skippedCount, divergences: r.divergences, implied: r.implied, touchCapped: r.touchCapped, assumption: r.assumption },
    ...hugetlbExtra(m),
  };
  const rt = m.runtime;
  return {
    variant,
    nrCpus: m.cpus.length,
    pageSize: 2 ** arch.geometry.pageShift,
    result: { ...r, extra },
    ...(rt.ftrace ? { ftrace: (ev: TraceEvent) => rt.ftrace!(ev) } : {}),
  };
}
