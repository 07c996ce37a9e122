import { Machine, type Kconfig, type MachineOptions } from '../src/index.js';
import { recordingArch, type FlushRec } from '../src/testing/index.js';

export { recordingArch, type FlushRec };

export const CONFIG_G: Partial<Kconfig> = {};
export const CONFIG_X: Partial<Kconfig> = { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true };
export const CONFIG_P: Partial<Kconfig> = { MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_MERGE_VMAS: true };

/** A machine on a recording generic backend: 2 CPUs, process A with one running thread on CPU0. */
export function setup(k: Partial<Kconfig> = CONFIG_G, opts: Partial<MachineOptions> = {}) {
  const log: FlushRec[] = [];
  let m!: Machine;
  m = new Machine({ arch: recordingArch(k, log, () => m), cpus: opts.cpus ?? 2, ...opts });
  const mm = m.createMm('A');
  const t0 = m.addThread(mm, 't0', 0, 'running');
  return { m, mm, t0, log };
}
