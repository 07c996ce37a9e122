/** The replay's model: the simulated machine, with each trace line's cost recorded. */
import type { Machine, Mm, Thread } from '@tlbsim/core';
import { AddressMaps } from './address-map.js';
import { CallSites } from './call-sites.js';
import type { ReplayModel } from './engine.js';
import { MachineThreads, type SimThread } from './machine-threads.js';
import type { ReplayOptions } from './options.js';
import type { CallEvent, StraceEvent } from './strace-events.js';
import { callText } from './strace-events.js';
import type { MemoryCall } from './syscall-args.js';
import { SyscallReplay, type WaitForRelease } from './syscalls.js';
import type { Tally } from './tally.js';
import { TouchAssumption } from './touch.js';

export class MachineModel extends MachineThreads implements ReplayModel<Mm, Thread> {
  readonly sites: CallSites;
  private readonly calls: SyscallReplay;

  constructor(m: Machine, opts: ReplayOptions, tally: Tally, waitForRelease: WaitForRelease) {
    super(m, new TouchAssumption(m, opts.touch ?? 'all'), new AddressMaps<Mm>(m.geometry, opts.tracePageSize ?? 4096));
    this.sites = new CallSites(m);
    this.calls = new SyscallReplay(this, this.touch, tally, waitForRelease);
  }

  /** pages the touch bounds left out */
  get touchCapped(): number {
    return this.touch.capped;
  }

  beforeEvent(): void {
    this.sites.begin();
  }

  afterEvent(ev: StraceEvent): void {
    this.sites.end(ev);
    if (this.zombies.size) this.collectZombies();
  }

  syscall(ev: CallEvent, rec: SimThread): void {
    const m = this.m;
    if (m.tracing) m.trace({ cpu: rec.thread.cpu, name: ev.name, cat: 'syscall', args: { file: ev.file, line: ev.line, text: callText(ev) } });
  }

  memoryCall(ev: CallEvent, rec: SimThread, d: MemoryCall, mayBlock: boolean): number {
    return this.calls.apply(ev, rec, d, mayBlock);
  }
}
