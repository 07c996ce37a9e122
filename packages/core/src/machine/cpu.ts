import type { CpuView } from '../arch/contract.js';
import type { Mm } from './mm.js';

export type ThreadState = 'running' | 'sleeping' | 'exited';

export interface Thread {
  id: number;
  name: string;
  /** null for a kernel thread */
  mm: Mm | null;
  cpu: number;
  state: ThreadState;
}

/** A GUP-fast walk in progress: IRQs off on its CPU, pinned on the tables of its path. */
export interface Walker {
  mm: Mm;
  addr: number;
  /** frames of the tables the walk is inside */
  tables: number[];
  startEpoch: number;
}

export class Cpu implements CpuView {
  loadedMm: Mm | null = null;
  lazy = true;
  /** the thread whose context this CPU runs (user thread or kernel thread) */
  curr: Thread | null = null;
  irqsOff = false;
  walker: Walker | null = null;
  /** IPIs that arrived while IRQs were off */
  pendingIpis: (() => void)[] = [];
  constructor(readonly id: number) {}
  get runningUser(): boolean {
    return !this.lazy && this.curr !== null && this.curr.mm !== null && this.curr.mm === this.loadedMm;
  }
  get currentMm(): Mm | null {
    return this.curr?.mm ?? null;
  }
  get currentTid(): number | null {
    return this.curr?.id ?? null;
  }
}
