import { exitThread, mmap, touch, type Thread } from '@tlbsim/core';
import { UsageError } from '../errors.js';
import { COMMON, WLIMITS, type Workload } from './params.js';
import { op, pageSize } from './helpers.js';

export const EXIT: Workload = {
  name: 'exit',
  summary: 'a process with `threads` threads and `rss` touched pages exits',
  details:
    'Per iteration a new process starts with one thread per CPU 0..threads-1 (all running user code), its first thread maps `rss` anonymous pages and writes each; ' +
    'then the other threads exit and the first exits last, tearing the mm down (exit_mmap, a fullmm gather) from CPU0.',
  params: [
    ...COMMON,
    { name: 'threads', type: 'int', default: (p) => p.cpus, defaultText: 'cpus', min: 1, max: WLIMITS.cpus, description: 'threads of the process, one per CPU (at most cpus)' },
    { name: 'rss', type: 'int', default: 64, min: 0, max: WLIMITS.pages, description: 'pages the process touched (anonymous, written)' },
  ],
  check(p) {
    if ((p.threads as number) > (p.cpus as number)) throw new UsageError(`exit: threads=${p.threads} is more than cpus=${p.cpus} (one running thread per CPU)`);
  },
  run(m, p) {
    const ps = pageSize(m);
    const rss = p.rss as number;
    for (let it = 0; it < (p.iterations as number); it++) {
      const mm = m.createMm(`proc${it}`);
      const threads: Thread[] = [];
      for (let t = 0; t < (p.threads as number); t++) threads.push(m.addThread(mm, `p${it}.t${t}`, t, 'running'));
      if (rss > 0) {
        const r = op(m, 'mmap', 0, () => mmap(m, mm, { length: rss * ps, name: 'heap' }));
        const addr = r.addr!;
        op(m, 'touch', 0, () => {
          for (let i = 0; i < rss; i++) {
            const t = touch(m, mm, addr + i * ps, { write: true });
            if (!t.ok) return t;
          }
          return { ok: true };
        });
      }
      for (let t = threads.length - 1; t >= 0; t--) {
        const th = threads[t];
        m.op('exit', th.cpu, () => exitThread(m, th));
      }
    }
  },
};
