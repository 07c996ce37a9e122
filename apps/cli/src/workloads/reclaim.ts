import { mmap, reclaimFilePages, touch, type Mm, type Thread } from '@tlbsim/core';
import { UsageError } from '../errors.js';
import { COMMON, WLIMITS, type Workload } from './params.js';
import { op, pageSize, schedule } from './helpers.js';

export const RECLAIM: Workload = {
  name: 'reclaim',
  summary: '`pages` file pages, each mapped in `mms` processes on other CPUs, reclaimed by a kswapd-like kernel thread',
  details:
    'A shared file of `pages` pages is mapped (MAP_SHARED, read) by `mms` processes; process j runs on CPU 1 + (j mod (cpus-1)) and reads every page. ' +
    'kswapd0, a kernel thread on CPU0, then reclaims all pages (reclaimFilePages: try_to_unmap each mapping, with the batched TLB flush where the architecture ' +
    'selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH, otherwise a flush per mapping). Each iteration the processes fault the pages back in and kswapd reclaims again. ' +
    'The last process scheduled on each CPU is still running user code during reclaim. Needs cpus >= 2.',
  params: [
    ...COMMON,
    { name: 'pages', type: 'int', default: 32, min: 1, max: WLIMITS.pages, description: 'file pages to reclaim' },
    { name: 'mms', type: 'int', default: (p) => Math.max(1, (p.cpus as number) - 1), defaultText: 'cpus-1', min: 1, max: 4096, description: 'processes mapping every page' },
  ],
  check(p) {
    if ((p.cpus as number) < 2) throw new UsageError('reclaim: needs cpus >= 2 (kswapd runs on CPU0, the processes on the other CPUs)');
  },
  run(m, p) {
    const ps = pageSize(m);
    const pages = p.pages as number;
    const others = m.cpus.length - 1;
    const file = m.createFile('data');
    m.addThread(null, 'kswapd0', 0, 'running');
    const procs: { mm: Mm; t: Thread; addr: number }[] = [];
    for (let j = 0; j < (p.mms as number); j++) {
      const cpu = 1 + (j % others);
      const mm = m.createMm(`reader${j}`);
      const c = m.cpus[cpu];
      if (c.curr && c.curr.state === 'running') m.sleep(c.curr);
      const t = m.addThread(mm, `reader${j}`, cpu, 'running');
      const r = op(m, 'mmap', cpu, () => mmap(m, mm, { length: pages * ps, read: true, write: false, shared: true, file, name: 'data' }));
      procs.push({ mm, t, addr: r.addr! });
    }
    const all = Array.from({ length: pages }, (_, i) => i);
    for (let it = 0; it < (p.iterations as number); it++) {
      for (const pr of procs) {
        schedule(m, pr.t);
        op(m, 'touch', pr.t.cpu, () => {
          for (let i = 0; i < pages; i++) {
            const r = touch(m, pr.mm, pr.addr + i * ps, { write: false });
            if (!r.ok) return r;
          }
          return { ok: true };
        });
      }
      m.op('reclaim', 0, () => reclaimFilePages(m, file, all));
    }
  },
};
