/** What a replay reports: the machine's results, the trace's counts and the assumptions made. */
import { collect, type Machine, type RunResult } from '@tlbsim/core';
import type { AddressMaps } from './address-map.js';
import type { CallSite } from './call-sites.js';
import type { TouchRule } from './options.js';
import type { SkippedLine, Tally } from './tally.js';
import { TOUCH_BOUNDS } from './touch.js';
import { comparisonRows, type ComparisonRow, type FlushFigures } from './kernel-flushes.js';
import type { RecordedModel } from './recorded-model.js';

/** What a kernel recording added: its own facts, and the kernel's flushes next to the model's. */
export interface RecordingFacts {
  /** CPUs of the recorded machine */
  cpus: number;
  /** page faults replayed */
  faults: number;
  /** faults the model could not take as the kernel did (a write to what the model maps read-only) */
  refusedFaults: number;
  /** events the ring buffer lost */
  lost: number;
  /** the root of the replayed process tree */
  root?: number;
  /** the model's flushes and flush IPIs counted as x86's tlb:tlb_flush and IPI events would show them (with or without the kernel's in the recording) */
  predicted: FlushFigures;
  /** per system call, page faults and exit: the recording's flushes and flush IPIs (x86 tlb:tlb_flush, ipi, csd) and the model's; absent when the recording has no flush events */
  comparison?: ComparisonRow[];
}

export interface ReplayResult extends RunResult {
  /** the touch rule and the other modelling assumptions, in words */
  assumption: string;
  touch: TouchRule;
  /** pages of ranges the touch assumption (or MAP_POPULATE) considered that its bounds left as they were */
  touchCapped: number;
  /** lines not replayed (at most 100; `skippedCount` has them all) */
  skipped: SkippedLine[];
  skippedCount: number;
  /** lines read */
  lines: number;
  /** complete system calls (an unfinished/resumed pair counts once) */
  syscalls: number;
  /** calls that failed in the trace (`= -1 E...`, or a brk that left the break unchanged): not applied */
  failures: number;
  /** top 10 trace lines by IPIs sent and by TLB instructions executed */
  callSites: { byIpis: CallSite[]; byTlbInstructions: CallSite[] };
  /** most threads alive at once */
  threads: number;
  /** address spaces created (execve, fork, first sight of a process) */
  processes: number;
  /** ranges the trace used successfully that no traced call had mapped (mapped by execve): created anonymous read-write */
  implied: number;
  /** places where the trace and the model disagreed (an address the kernel chose was still mapped, or the model refused a call that succeeded) */
  divergences: number;
  /** the input was a kernel recording (ftrace text) */
  recording?: RecordingFacts;
}

/** The touch policy for sparse and huge mappings, and what the bounds left out in this run. */
function boundsText(rule: TouchRule, capped: number): string {
  const { perMapping, total } = TOUCH_BOUNDS;
  const bound = `at most the lowest ${perMapping} pages of one mapping are faulted in by one call (a hugetlb page counts as one), and none once the simulated machine has ${total} pages in use (data, page cache, page tables)`;
  const text =
    rule === 'none'
      ? `MAP_POPULATE/MAP_LOCKED population is bounded: ${bound}.`
      : `A mapping made accessible with MAP_NORESERVE at mmap (a sanitizer's shadow memory, a sparse table) is assumed used sparsely: none of its pages is touched (a PROT_NONE MAP_NORESERVE reservation that a later mprotect opens, as glibc's thread arenas and V8's heap do, is touched like any other mapping). Touching and MAP_POPULATE/MAP_LOCKED population are bounded: ${bound}.`;
  return capped ? `${text} These bounds left ${capped} pages untouched.` : text;
}

function assumptionText(rule: TouchRule, amap: AddressMaps, tracePage: number, capped: number): string {
  const touched =
    rule === 'none'
      ? 'touch=none: no page is ever touched, so only page-table pages and populated (MAP_POPULATE/MAP_LOCKED) memory are freed.'
      : rule === 'written'
        ? 'touch=written: before a range is unmapped, changed (mprotect, madvise, mremap, fork) or torn down (exit, execve), every page of it not mapped yet in a writable private or writable anonymous mapping is written by the calling thread (a mapped page, even write-protected after fork, counts as touched); read-only and shared file mappings are never touched.'
        : 'touch=all: before a range is unmapped, changed (mprotect, madvise, mremap, fork) or torn down (exit, execve), every page of it not mapped yet in an accessible (not PROT_NONE) anonymous mapping or a writable private mapping is touched by the calling thread (written if the mapping is writable, read otherwise; a mapped page, even write-protected after fork, counts as touched); read-only and shared file mappings are never touched.';
  const layout = amap.identity
    ? 'Addresses are the traced ones.'
    : `Each ${tracePage}-byte trace page is one target page (addresses scaled by ${amap.scale}); each process's 1 GiB regions of the trace are placed, in order and on first use, into its address space on the target (a forked child starts with its parent's placement).`;
  return `${touched} ${boundsText(rule, capped)} ${layout} Mappings the kernel made at execve (program, interpreter, stack, vdso) are unknown until a call on them succeeds in the trace; such ranges are then created as anonymous read-write memory ("implied"). Threads keep their CPU while alive (round-robin placement; more threads than CPUs share them). strace's print order is the order of operations (several -ff files are merged by timestamp), except that an address the kernel handed out waits for another thread's unfinished unmap of it.`;
}

export interface ReplayFigures {
  m: Machine;
  tally: Tally;
  sites: { byIpis: CallSite[]; byTlbInstructions: CallSite[] };
  amap: AddressMaps;
  touch: TouchRule;
  /** pages the touch bounds left out */
  touchCapped: number;
  tracePage: number;
  /** lines read per input */
  counts: number[];
  threads: number;
  processes: number;
  recorded?: RecordedModel;
}

/** A kernel recording's assumptions, in words. */
function recordingText(r: RecordedModel): string {
  const faults = r.reader?.faults
    ? 'Page faults as recorded (exceptions:page_fault_user): each is handled as the kernel does (the zero page for a read of anonymous memory, a copy and a single-page flush for a write to a read-only page, fault-around of 16 pages for a read of a file, whose pages are taken to be cached), so no page is assumed touched; a write fault the kernel saw as a protection fault maps the page read-only first.'
    : 'The recording has no page faults: the touch assumption applies.';
  return `${faults} Threads run on the CPUs sched_switch shows; a CPU switched to the idle task or a kernel thread stays lazy on its mm, one switched to another program loads that program's mm. execve builds a new mm (a one-page argument stack moved 4 GiB down: a flush_tlb_range and a freed-table flush), switches to it and drops the old one. Mappings the kernel made at execve are created, page by page, where faults or calls use them ("implied"; instruction fetches as a private file mapping).`;
}

function recordingFacts(r: RecordedModel, cpus: number): RecordingFacts {
  const rd = r.reader;
  return {
    cpus,
    faults: rd?.faults ?? 0,
    refusedFaults: r.faults.refused,
    lost: rd?.lost ?? 0,
    ...(rd?.root !== undefined ? { root: rd.root } : {}),
    predicted: r.predicted.total(),
    ...(rd?.hasFlushEvents ? { comparison: comparisonRows(rd.recorded, r.predicted) } : {}),
  };
}

export function replayResult(f: ReplayFigures): ReplayResult {
  const t = f.tally;
  return {
    ...collect(f.m),
    assumption: f.recorded ? `${recordingText(f.recorded)} ${assumptionText(f.touch, f.amap, f.tracePage, f.touchCapped)}` : assumptionText(f.touch, f.amap, f.tracePage, f.touchCapped),
    touch: f.touch,
    touchCapped: f.touchCapped,
    skipped: t.skipped,
    skippedCount: t.skippedCount,
    lines: f.counts.reduce((a, b) => a + b, 0),
    syscalls: t.syscalls,
    failures: t.failures,
    callSites: { byIpis: f.sites.byIpis, byTlbInstructions: f.sites.byTlbInstructions },
    threads: f.threads,
    processes: f.processes,
    implied: t.implied,
    divergences: t.divergences,
    ...(f.recorded ? { recording: recordingFacts(f.recorded, f.m.cpus.length) } : {}),
  };
}
