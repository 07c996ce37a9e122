import { madvise, mmap, munmap, touch, type SimFile } from '@tlbsim/core';
import { UsageError } from '../errors.js';
import { COMMON, WLIMITS, type Workload } from './params.js';
import { op, pageSize } from './helpers.js';

type Kind = 'file-private' | 'anon-private' | 'file-shared';

const TESTS: { name: string; kind: Kind; pages: number; what: string }[] = [
  { name: 'tlb_flush1', kind: 'file-private', pages: 32768, what: 'file-backed private mapping (128 MiB of 4 KiB pages, as will-it-scale)' },
  { name: 'tlb_flush2', kind: 'anon-private', pages: 256, what: 'anonymous private mapping (1 MiB of 4 KiB pages, as will-it-scale)' },
  { name: 'tlb_flush3', kind: 'file-shared', pages: 32768, what: 'file-backed shared mapping (128 MiB of 4 KiB pages, as will-it-scale)' },
];

function willItScale(t: (typeof TESTS)[number]): Workload {
  return {
    name: t.name,
    summary: `will-it-scale ${t.name}: ${t.kind.replace('-', ' ')} mapping; write a page, MADV_DONTNEED it, repeat`,
    details:
      `will-it-scale's ${t.name} in threads mode: \`threads\` threads of one process, one per CPU, each with its own ${t.what}. ` +
      'Per iteration each thread maps its region, then for every page (threads taking turns page by page) writes it and madvise(MADV_DONTNEED)s that one page; ' +
      'then each thread munmaps its region. `pages` counts the architecture\'s base pages (will-it-scale counts bytes: with 64 KiB pages it makes 16 times fewer calls).',
    params: [
      ...COMMON,
      { name: 'threads', type: 'int', default: (p) => p.cpus, defaultText: 'cpus', min: 1, max: WLIMITS.cpus, description: 'threads, one per CPU (at most cpus)' },
      { name: 'pages', type: 'int', default: t.pages, min: 1, max: WLIMITS.pages, description: 'pages in each thread\'s mapping (one write + MADV_DONTNEED each)' },
    ],
    check(p) {
      if ((p.threads as number) > (p.cpus as number)) throw new UsageError(`${t.name}: threads=${p.threads} is more than cpus=${p.cpus} (one thread per CPU)`);
    },
    run(m, p) {
      const ps = pageSize(m);
      const pages = p.pages as number;
      const mm = m.createMm('will-it-scale');
      const n = p.threads as number;
      const threads = Array.from({ length: n }, (_, i) => m.addThread(mm, `t${i}`, i, 'running'));
      const files: (SimFile | undefined)[] = threads.map((_, i) => (t.kind === 'anon-private' ? undefined : m.createFile(`willitscale.${i}`)));
      for (let it = 0; it < (p.iterations as number); it++) {
        const addrs = threads.map((th, i) =>
          op(m, 'mmap', th.cpu, () => mmap(m, mm, { length: pages * ps, shared: t.kind === 'file-shared', file: files[i], name: `t${i}` })).addr!,
        );
        for (let pg = 0; pg < pages; pg++) {
          for (let i = 0; i < n; i++) {
            const a = addrs[i] + pg * ps;
            const cpu = threads[i].cpu;
            op(m, 'touch', cpu, () => touch(m, mm, a, { write: true }));
            op(m, 'madvise', cpu, () => madvise(m, mm, a, ps, 'dontneed'));
          }
        }
        for (let i = 0; i < n; i++) op(m, 'munmap', threads[i].cpu, () => munmap(m, mm, addrs[i], pages * ps));
      }
    },
  };
}

export const WILL_IT_SCALE: Workload[] = TESTS.map(willItScale);
