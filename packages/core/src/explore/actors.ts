/**
 * The concurrent actors a schedule places at interleaving points (core SPEC.md §13.2). Each runs
 * on a CPU other than the one in the path, through the same model code the rest of tlbsim uses
 * (the scheduler, GUP-fast, reclaim, zap, RCU), so whatever it does is checked as usual.
 */
import type { Cpu, Thread } from '../machine/cpu.js';
import { FrameKind } from '../machine/frames.js';
import { gupFastBegin, gupFastEnd } from '../machine/gup-fast.js';
import type { Mm, SimFile, Vma } from '../machine/mm.js';
import { rcuQuiesce } from '../machine/rcu.js';
import { contextSwitch, sleepThread } from '../machine/sched.js';
import { zapPageRangeSingle } from '../mm/madvise.js';
import { reclaimFilePages } from '../mm/reclaim.js';
import type { Explorer } from './explorer.js';
import type { Held, PointInfo } from './points.js';

export const ACTOR_NAMES = ['gup-fast', 'gup-fast-end', 'switch', 'reclaim', 'revoke', 'tick'] as const;
export type ActorName = (typeof ACTOR_NAMES)[number];

/** What each actor is, in words (docs, `--help`). */
export const ACTOR_DOCS: Record<ActorName, string> = {
  'gup-fast': 'a thread of the mm on another CPU starts GUP-fast (mm/gup.c gup_fast) at the address the path works on, IRQs off: it stays inside the page tables until gup-fast-end, a waiting IPI, or the end of the operation',
  'gup-fast-end': 'the oldest GUP-fast walker re-enables IRQs (the IPIs that waited for it are handled)',
  'switch': 'a context switch on another CPU (kernel/sched/core.c context_switch): a running thread blocks (its CPU goes lazy on its mm) or a sleeping one is scheduled in (switch_mm); undone when the operation ends',
  reclaim: 'reclaim or migration on another CPU (mm/vmscan.c, mm/rmap.c try_to_unmap) of one file folio through the rmap: its mappings cleared and flushed, the folio freed if nothing maps it',
  revoke: 'a driver on another CPU revokes a PFNMAP range (unmap_mapping_range over the VMAs still linked in its file) and then frees the memory behind it',
  tick: 'a timer tick on another CPU: the RCU grace periods that no IRQs-off reader holds up end and their callbacks run',
};

/** What an actor did. */
export interface ActorResult {
  cpu: number;
  detail: string;
}

type Actor = (ex: Explorer, info: PointInfo, pick: number, held: Held) => ActorResult | null;

const hex = (n: number) => '0x' + n.toString(16);
const choose = <T>(xs: readonly T[], pick: number): T => xs[Math.min(xs.length - 1, Math.floor(pick * xs.length))];

/** CPUs an actor may run on: not the one in the path, interrupts on, no walker of ours. */
function freeCpus(ex: Explorer): Cpu[] {
  const m = ex.m;
  return m.cpus.filter((c) => c.id !== m.curCpu && !c.irqsOff);
}

/** the operation tears its mm down (exit): a walker's thread would keep the mm alive, so none is placed */
function exiting(ex: Explorer): boolean {
  return /exit/.test(ex.m.currentOp ?? ex.m.opName);
}

function walkAddr(info: PointInfo): number | undefined {
  if (info.addr !== undefined && Number.isFinite(info.addr)) return info.addr;
  return info.mm?.vmas[0]?.start ?? info.vmas?.[0]?.start;
}

/** a thread that can be scheduled in on `c` (it last ran there and sleeps; its mm is alive) */
function sleeperOn(ex: Explorer, c: Cpu): Thread | undefined {
  return ex.m.threads.find((t) => t.cpu === c.id && t.state === 'sleeping' && (!t.mm || !t.mm.dead));
}

function switchable(ex: Explorer): Cpu[] {
  return freeCpus(ex).filter((c) => !c.walker && ((c.curr && c.curr.state === 'running') || (!c.curr && sleeperOn(ex, c))));
}

/** files with pages an rmap walk can unmap or free */
function reclaimable(ex: Explorer): SimFile[] {
  return ex.m.files.filter((f) => f.pages.size > 0);
}

/** the device objects a driver can revoke: PFNMAP VMAs mapped or torn down in this operation */
function devices(ex: Explorer): (SimFile | Vma)[] {
  const out: (SimFile | Vma)[] = [];
  const add = (d: SimFile | Vma) => {
    if (!out.includes(d)) out.push(d);
  };
  for (const mm of ex.m.mms) if (!mm.dead) for (const v of mm.vmas) if (v.flags.pfnmap) add(v.file ?? v);
  for (const v of ex.linked.keys()) if (v.flags.pfnmap) add(v.file ?? v);
  for (const r of ex.pfn) add(r.device!);
  return out;
}

/** The actors that may run at a point, in a fixed order. */
export function legalActors(ex: Explorer, held: Held, info: PointInfo): ActorName[] {
  const m = ex.m;
  const out: ActorName[] = [];
  const cpus = freeCpus(ex);
  const mm = info.mm;
  if (mm && cpus.some((c) => !c.walker) && !mm.dead && mm.users > 0 && !exiting(ex) && walkAddr(info) !== undefined) out.push('gup-fast');
  if (ex.walkers.length) out.push('gup-fast-end');
  if (switchable(ex).length) out.push('switch');
  if (held === 'none' && cpus.length) {
    if (reclaimable(ex).length) out.push('reclaim');
    if (devices(ex).length) out.push('revoke');
    if (m.rcu.pending > 0) out.push('tick');
  }
  return out;
}

/** Run `fn` on CPU `c` in a kernel thread: a user thread running there is switched out and back. */
function onKernelThread<T>(ex: Explorer, c: Cpu, name: string, fn: () => T): T {
  const m = ex.m;
  const prev = c.curr && c.curr.state === 'running' ? c.curr : null;
  if (prev) sleepThread(m, prev);
  const k: Thread = { id: 900 + c.id, name, mm: null, cpu: c.id, state: 'sleeping' };
  contextSwitch(m, k, c.id);
  m.curCpu = c.id;
  try {
    return fn();
  } finally {
    sleepThread(m, k);
    if (prev) contextSwitch(m, prev, c.id);
  }
}

const gupFast: Actor = (ex, info, pick) => {
  const m = ex.m;
  const mm = info.mm!;
  const addr = walkAddr(info)!;
  const c = choose(freeCpus(ex).filter((x) => !x.walker), pick);
  const running = c.curr && c.curr.state === 'running' ? c.curr : null;
  let thread: Thread;
  let added = false;
  let prev: Thread | null = null;
  if (running && running.mm === mm) thread = running;
  else {
    // another thread of the process is scheduled in on that CPU to make the call
    prev = running;
    if (prev) sleepThread(m, prev);
    thread = m.addThread(mm, `gup${c.id}`, c.id, 'running');
    added = true;
  }
  m.curCpu = c.id;
  gupFastBegin(m, c.id, mm, addr);
  ex.walkers.push({ cpu: c.id, thread, added, prev });
  return { cpu: c.id, detail: `walks ${hex(addr)} in ${mm.name}` };
};

const gupFastEndActor: Actor = (ex) => {
  const m = ex.m;
  const w = ex.walkers.shift();
  if (!w) return null;
  const c = m.cpus[w.cpu];
  m.curCpu = w.cpu;
  // a waiting IPI may have ended the walk already; its thread still leaves
  gupFastEnd(m, w.cpu);
  if (w.added) {
    // the helper thread returns from the call and exits (it never holds the last reference)
    sleepThread(m, w.thread);
    w.thread.state = 'exited';
    w.thread.mm!.users--;
    m.threads.splice(m.threads.indexOf(w.thread), 1);
    if (w.prev && !c.curr) contextSwitch(m, w.prev, w.cpu);
  }
  return { cpu: w.cpu, detail: `the walker on CPU${w.cpu} ends` };
};

const switchActor: Actor = (ex, info, pick) => {
  const m = ex.m;
  const cands = switchable(ex);
  const c = cands.find((x) => x.id === info.cpu) ?? choose(cands, pick);
  if (c.curr && c.curr.state === 'running') {
    const t = c.curr;
    sleepThread(m, t);
    ex.undo.push(() => {
      if (!c.curr && t.state === 'sleeping') contextSwitch(m, t, c.id);
    });
    return { cpu: c.id, detail: `${t.name} blocks: CPU${c.id} goes idle${c.loadedMm ? `, lazy on ${c.loadedMm.name}` : ''}` };
  }
  const t = sleeperOn(ex, c)!;
  contextSwitch(m, t, c.id);
  ex.undo.push(() => {
    if (c.curr === t && t.state === 'running') sleepThread(m, t);
  });
  return { cpu: c.id, detail: `${t.name}${t.mm ? ` (${t.mm.name})` : ''} is scheduled in` };
};

const reclaim: Actor = (ex, _info, pick) => {
  const m = ex.m;
  const files = reclaimable(ex);
  const f = choose(files, pick);
  const idxs = [...f.pages.keys()].sort((a, b) => a - b);
  const idx = choose(idxs, (pick * files.length) % 1);
  const frame = f.pages.get(idx)!;
  const c = choose(freeCpus(ex), pick);
  const huge = m.mms.some((mm) => !mm.dead && mm.vmas.some((v) => v.file === f && v.flags.hugetlb));
  const kinds = ex.moved.map((r) => m.frames.kindOf(r.frame!));
  onKernelThread(ex, c, 'kswapd', () => {
    if (huge) m.hugetlb?.tryToUnmap?.(f, idx);
    else reclaimFilePages(m, f, [idx]);
    // a page moved by mremap was freed: its old translation must be gone too (CVE-2018-18281)
    ex.moved.forEach((r, i) => {
      if (kinds[i] !== FrameKind.Free && m.frames.kindOf(r.frame!) === FrameKind.Free) m.checker.pageFreed(r.mm, r.addr, m.geometry.pageShift, r.epoch);
    });
  });
  return { cpu: c.id, detail: `${huge ? 'unmaps' : 'reclaims'} page ${idx} of ${f.name} (frame ${frame}${f.pages.has(idx) ? '' : ', freed'})` };
};

const revoke: Actor = (ex, _info, pick) => {
  const m = ex.m;
  const d = choose(devices(ex), pick);
  const c = choose(freeCpus(ex), pick);
  const mine = (v: Vma) => v.flags.pfnmap && (v.file ?? v) === d;
  let zapped = 0;
  onKernelThread(ex, c, 'driver', () => {
    // unmap_mapping_range: only the VMAs still linked in the file's rmap are found
    const seen = new Map<Vma, Mm>();
    for (const mm of m.mms) {
      if (mm.dead) continue;
      for (const v of mm.vmas) if (mine(v)) seen.set(v, mm);
    }
    for (const [v, mm] of ex.linked) if (mine(v) && !mm.dead) seen.set(v, mm);
    for (const [v, mm] of seen) {
      zapPageRangeSingle(m, mm, v, v.start, v.end - v.start);
      zapped++;
    }
    // then the driver frees the memory: no CPU may still reach it through a stale translation
    for (const r of ex.pfn) if (r.device === d) m.checker.pageFreed(r.mm, r.addr, m.geometry.pageShift, r.epoch);
  });
  ex.pfn.splice(0, ex.pfn.length, ...ex.pfn.filter((r) => r.device !== d));
  const name = 'name' in d && typeof d.name === 'string' ? d.name : 'a PFNMAP VMA';
  return { cpu: c.id, detail: `revokes ${name} (${zapped} linked VMA${zapped === 1 ? '' : 's'} zapped) and frees its memory` };
};

const tick: Actor = (ex, _info, pick) => {
  const m = ex.m;
  const c = choose(freeCpus(ex), pick);
  const before = m.rcu.callbacks;
  m.curCpu = c.id;
  rcuQuiesce(m);
  return { cpu: c.id, detail: `${m.rcu.callbacks - before} RCU callback${m.rcu.callbacks - before === 1 ? '' : 's'} run` };
};

export const ACTORS: Record<ActorName, Actor> = {
  'gup-fast': gupFast,
  'gup-fast-end': gupFastEndActor,
  switch: switchActor,
  reclaim,
  revoke,
  tick,
};
