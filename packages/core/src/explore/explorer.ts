/**
 * The explorer attached to a Machine (`m.explore`): counts the interleaving points a run passes
 * (its steps), and at the steps its plan names runs a concurrent actor on another CPU. Without an
 * explorer the modelled paths pay one null check per point.
 */
import type { Thread } from '../machine/cpu.js';
import type { Machine } from '../machine/machine.js';
import type { Mm, SimFile, Vma } from '../machine/mm.js';
import { ACTORS, legalActors, type ActorName } from './actors.js';
import { POINTS, type PointInfo, type PointName } from './points.js';

/** One actor placed at one step: what a plan asks for. `pick` in [0, 1) chooses its CPU and target. */
export interface Decision {
  step: number;
  actor: ActorName;
  pick: number;
}

/** One step as a run passed it. */
export interface Step {
  point: PointName;
  /** the top-level operation it happened in (`munmap`, `ops[3].munmap`) */
  op: string;
  /** the actors that could have been placed there */
  legal: readonly ActorName[];
}

/** A decision as it was carried out. */
export interface Applied extends Decision {
  point: PointName;
  op: string;
  cpu: number;
  /** what the actor did, in words (`walks 0x7f0000000000 in child0.1`) */
  detail: string;
}

/** A GUP-fast walker an actor started. */
export interface OpenWalker {
  cpu: number;
  /** the thread that runs it: one of the mm's threads already there, or one scheduled in for it */
  thread: Thread;
  /** the thread scheduled in for the walk (null: the CPU already ran one of the mm's threads) */
  added: boolean;
  /** what the CPU ran before (put back when the walk ends) */
  prev: Thread | null;
}

/** A translation the path removed that a later free must still be checked against. */
export interface StaleRecord {
  mm: Mm;
  addr: number;
  epoch: number;
  /** the frame it mapped (move_ptes), or the device object (a PFNMAP VMA's file, else the VMA) */
  frame?: number;
  device?: SimFile | Vma;
}

export class Explorer {
  /** steps passed so far */
  step = 0;
  /** every step (kept when `record` is set: the canonical run) */
  readonly steps: Step[] = [];
  readonly applied: Applied[] = [];
  /** an actor is running: its own kernel paths are not interleaving points of the schedule */
  busy = false;
  readonly walkers: OpenWalker[] = [];
  /** context switches to undo when the operation ends (latest first) */
  readonly undo: (() => void)[] = [];
  /** VMAs detached by the path but still linked in the rmap */
  readonly linked = new Map<Vma, Mm>();
  /** old translations of pages move_ptes moved, until the operation ends */
  readonly moved: StaleRecord[] = [];
  /** PFNMAP entries cleared by zaps, until the operation ends */
  readonly pfn: StaleRecord[] = [];
  private readonly plan: Map<number, Decision>;

  constructor(readonly m: Machine, decisions: readonly Decision[] = [], readonly record = false) {
    this.plan = new Map(decisions.map((d) => [d.step, d]));
  }

  /** The path passes an interleaving point. */
  at(point: PointName, info: PointInfo): void {
    if (this.busy) return;
    const step = this.step++;
    const m = this.m;
    if (point === 'unmap_vmas' && info.vmas && info.mm) for (const v of info.vmas) this.linked.set(v, info.mm);
    if (point === 'free_pgtables:after-unlink' && info.vmas) for (const v of info.vmas) this.linked.delete(v);
    const d = this.plan.get(step);
    if (!this.record && !d) return;
    const held = POINTS[point].held;
    const legal = legalActors(this, held, info);
    if (this.record) this.steps.push({ point, op: m.currentOp ?? m.opName, legal });
    if (!d || !legal.includes(d.actor)) return;
    this.busy = true;
    const saved = m.curCpu;
    try {
      const r = ACTORS[d.actor](this, info, d.pick, held);
      if (r) this.applied.push({ ...d, point, op: m.currentOp ?? m.opName, cpu: r.cpu, detail: r.detail });
    } finally {
      m.curCpu = saved;
      this.busy = false;
    }
  }

  /** The top-level operation returns: walkers end, switched CPUs switch back, records lapse. */
  opEnd(): void {
    if (this.busy) return;
    this.busy = true;
    const saved = this.m.curCpu;
    try {
      while (this.walkers.length) ACTORS['gup-fast-end'](this, {}, 0, 'none');
      while (this.undo.length) this.undo.pop()!();
    } finally {
      this.m.curCpu = saved;
      this.busy = false;
    }
    this.linked.clear();
    this.moved.length = 0;
    this.pfn.length = 0;
  }

  /** move_ptes moved a present PTE of `frame` away from `addr` (cleared there at `epoch`). */
  movedPte(mm: Mm, addr: number, frame: number, epoch: number): void {
    if (!this.busy) this.moved.push({ mm, addr, epoch, frame });
  }

  /** zap_pte_range cleared a PFNMAP entry (no struct page: only the driver frees what it maps). */
  pfnCleared(mm: Mm, v: Vma, addr: number, epoch: number): void {
    this.pfn.push({ mm, addr, epoch, device: v.file ?? v });
  }
}
