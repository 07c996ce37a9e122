/**
 * execve's address-space work (fs/exec.c): the new mm is built while the old one is still in use
 * (bprm_mm_init puts a one-page stack VMA at STACK_TOP_MAX and the argument strings are copied
 * into it through the new mm, which no CPU has loaded: no flush), then exec_mmap switches the
 * thread to it and drops the old mm (mmput: the last user tears it down with exit_mmap, from a
 * CPU that no longer has it loaded), and setup_arg_pages moves the stack to its randomised top
 * (relocate_vma_down: move_page_tables, then free_pgd_range of the old place in one gather).
 * Those last two are the flushes every exec makes in the new mm.
 */
import type { Machine } from '../machine/machine.js';
import type { Thread } from '../machine/cpu.js';
import type { Mm } from '../machine/mm.js';
import { contextSwitch } from '../machine/sched.js';
import { tlbGatherMmu } from '../gather/mmu-gather.js';
import { exitMmap } from './exit.js';
import { touch } from './fault.js';
import { freePgdRange } from './free-pgtables.js';
import { mmap } from './mmap.js';
import { movePageTables } from './mremap.js';
import { USER_PGTABLES_CEILING } from './munmap.js';

/** Where the stack starts and ends up, in the machine's addresses. */
export interface ExecStack {
  /** STACK_TOP_MAX: the end of the stack VMA bprm_mm_init makes */
  stackTopMax: number;
  /** the randomised stack top setup_arg_pages moves it to (page aligned, below stackTopMax) */
  stackTop: number;
  /** pages the argument and environment strings fill (at least 1) */
  argPages: number;
}

/** setup_arg_pages' stack_expand: the stack VMA is grown to 128 KiB below the arguments */
const STACK_EXPAND = 131072;

/** __bprm_mm_init and copy_strings: the stack VMA of the new mm with the argument pages written. */
export function bprmMmInit(m: Machine, mm: Mm, s: ExecStack): void {
  const ps = m.pageSize;
  const start = s.stackTopMax - Math.max(1, s.argPages) * ps;
  mmap(m, mm, { addr: start, length: s.stackTopMax - start, read: true, write: true, exec: false, name: '[stack]' });
  for (let a = start; a < s.stackTopMax; a += ps) touch(m, mm, a, { write: true });
}

/**
 * exec_mmap: thread `t` (running on its CPU, the current one) switches to `mm` (activate_mm),
 * then drops its old mm (mmput; exit_mmap when it was the last user).
 */
export function execMmap(m: Machine, t: Thread, mm: Mm): void {
  const old = t.mm;
  t.mm = mm;
  mm.users++;
  contextSwitch(m, t, t.cpu);
  if (!old) return;
  old.users--;
  if (old.users === 0) exitMmap(m, old);
}

/** relocate_vma_down (setup_arg_pages): move the stack VMA [start, end) of the current mm down by `shift`. */
export function relocateVmaDown(m: Machine, mm: Mm, start: number, end: number, shift: number): void {
  const v = mm.findVma(start);
  if (!v || shift <= 0) return;
  const newStart = start - shift;
  const newEnd = end - shift;
  // vma_expand down to the new start, so both places are inside the VMA while tables move
  v.start = newStart;
  movePageTables(m, mm, v.flags.exec, start, newStart, end - start);
  const g = tlbGatherMmu(m, mm, false);
  const next = mm.vmas[mm.vmas.indexOf(v) + 1];
  const ceiling = next ? next.start : USER_PGTABLES_CEILING;
  // the old place, less what the new one overlaps
  if (newEnd > start) freePgdRange(m, g, newEnd, end, newEnd, ceiling);
  else freePgdRange(m, g, start, end, newEnd, ceiling);
  g.finish();
  // vma_shrink to the new place
  v.end = newEnd;
}

/**
 * The address-space side of execve for thread `t` (running on the current CPU): a new mm with
 * its stack, the switch to it with the old mm dropped, the stack moved to its top and grown to
 * its initial size. Returns the new mm.
 */
export function execve(m: Machine, t: Thread, mm: Mm, s: ExecStack): Mm {
  bprmMmInit(m, mm, s);
  execMmap(m, t, mm);
  const ps = m.pageSize;
  const start = s.stackTopMax - Math.max(1, s.argPages) * ps;
  const shift = s.stackTopMax - s.stackTop;
  relocateVmaDown(m, mm, start, s.stackTopMax, shift);
  const v = mm.findVma(s.stackTop - ps);
  if (v) {
    // expand_stack_locked: room below the arguments, no pages
    const prev = mm.vmas[mm.vmas.indexOf(v) - 1];
    const want = Math.max(0, s.stackTop - STACK_EXPAND);
    v.start = Math.min(v.start, Math.max(want, prev ? prev.end : 0));
  }
  return mm;
}
