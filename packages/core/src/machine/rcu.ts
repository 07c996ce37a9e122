import type { Machine } from './machine.js';

/**
 * RCU as the mmu_gather needs it: callbacks (table batches) run after a grace period, and a
 * grace period cannot end while a CPU that was already inside an IRQs-off section (GUP-fast)
 * when the callback was queued is still inside it.
 */
export class Rcu {
  private queue: { epoch: number; cb: () => void }[] = [];
  /** number of callbacks run */
  callbacks = 0;

  call(epoch: number, cb: () => void): void {
    this.queue.push({ epoch, cb });
  }
  get pending(): number {
    return this.queue.length;
  }
  /**
   * End a grace period: run every callback queued before the oldest IRQs-off section that is
   * still open (`oldestReader`: epoch at which it began, Infinity if none).
   */
  advance(oldestReader: number): number {
    let ran = 0;
    while (this.queue.length && this.queue[0].epoch < oldestReader) {
      const { cb } = this.queue.shift()!;
      this.callbacks++;
      ran++;
      cb();
    }
    return ran;
  }
}

/** Let RCU grace periods end where no IRQs-off reader (a GUP-fast walker) holds them up. */
export function rcuQuiesce(m: Machine): void {
  let oldest = Infinity;
  for (const c of m.cpus) if (c.walker && c.walker.startEpoch < oldest) oldest = c.walker.startEpoch;
  const ran = m.rcu.advance(oldest);
  m.metrics.rcuCallbacks += ran;
  if (ran) m.cost(ran * m.arch.cost.rcuCallback);
}
