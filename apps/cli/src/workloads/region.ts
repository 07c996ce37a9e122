import { alignDown, madvise, mmap, mprotect, mremap, munmap, touch, type Machine } from '@tlbsim/core';
import { COMMON, WLIMITS, type Params, type ParamSpec, type Workload } from './params.js';
import { mmapTop, op, pageSize, pmdSpan } from './helpers.js';

type Action = 'munmap' | 'madvise-dontneed' | 'madvise-free' | 'mprotect' | 'mremap';

const REGION_PARAMS: readonly ParamSpec[] = [
  ...COMMON,
  { name: 'pages', type: 'int', default: 8, min: 1, max: WLIMITS.pages, description: "pages in the region (the architecture's base page size)" },
  { name: 'peer', type: 'enum', default: 'spin', choices: ['spin', 'sleep', 'none'], description: 'what the other threads of the process (one per other CPU) do: spin in user mode, sleep (blocked all run: their CPUs go lazy), none (no other threads)' },
  { name: 'aligned', type: 'bool', default: false, description: 'place the region alone in its own page table(s) at a PMD-aligned address (2 MiB with 4 KiB pages), so munmap also frees its page table; otherwise it shares its page table with a mapping that stays' },
];

const SUMMARY: Record<Action, string> = {
  munmap: 'map, touch and munmap an anonymous region',
  'madvise-dontneed': 'map and touch a region, MADV_DONTNEED it, munmap it',
  'madvise-free': 'map and touch a region, MADV_FREE it, munmap it',
  mprotect: 'map and touch a region, mprotect it read-only, munmap it',
  mremap: 'map and touch a region, mremap it to twice its size (it cannot grow in place, so it moves), munmap it',
};

const LAYOUT =
  'Per iteration the thread on CPU0 maps `pages` anonymous pages, writes each, does the operation and munmaps. ' +
  'A one-page mapping that stays ("keeper") sits at a 1 GiB-aligned base; the region starts two pages above it (sharing its page table) or, ' +
  'with aligned=true, at the next PMD-aligned address (alone in its page table, which munmap frees). ' +
  'Pages are the architecture\'s base page size: 4 KiB on x86 and (by default) arm64, 64 KiB on ppc by default; with arm64:granule=64k ' +
  '"PMD-aligned" means 512 MiB. A region larger than one page table\'s span shares only its first table.';

const MREMAP_NOTE =
  ' mremap: a read-only page right after the region stops it growing in place, so it moves to where the kernel\'s top-down search puts it ' +
  '(next to another read-only page that stays, unless aligned=true, where it lands alone); the final munmap unmaps the moved region.';

function regionWorkload(action: Action): Workload {
  return {
    name: action,
    summary: SUMMARY[action],
    details: LAYOUT + (action === 'mremap' ? MREMAP_NOTE : ''),
    params: REGION_PARAMS,
    run: (m, p) => runRegion(m, p, action),
  };
}

function runRegion(m: Machine, p: Params, action: Action): void {
  const ps = pageSize(m);
  const pmd = pmdSpan(m);
  const pages = p.pages as number;
  const len = pages * ps;
  const top = mmapTop(m);
  const base = alignDown(top / 2, 2 ** 30);
  const region = p.aligned ? base + pmd : base + 2 * ps;

  const mm = m.createMm('app');
  const main = m.addThread(mm, 'main', 0, 'running');
  if (p.peer !== 'none') {
    for (let cpu = 1; cpu < m.cpus.length; cpu++) m.addThread(mm, `peer${cpu}`, cpu, p.peer === 'spin' ? 'running' : 'sleeping');
  }
  const cpu = main.cpu;
  const map = (addr: number, length: number, write: boolean, name: string) =>
    op(m, 'mmap', cpu, () => mmap(m, mm, { addr, length, read: true, write, name }));
  const fill = (addr: number, n: number, write: boolean) =>
    op(m, 'touch', cpu, () => {
      for (let i = 0; i < n; i++) {
        const r = touch(m, mm, addr + i * ps, { write });
        if (!r.ok) return r;
      }
      return { ok: true };
    });

  // the neighbour that stays: shares the region's page table, or (aligned) only its PMD table
  map(base, ps, true, 'keeper');
  fill(base, 1, true);
  if (action === 'mremap') {
    map(region + len, ps, false, 'blocker');
    fill(region + len, 1, false);
    if (!p.aligned) {
      map(top - ps, ps, false, 'keeper2');
      fill(top - ps, 1, false);
    }
  }

  for (let it = 0; it < (p.iterations as number); it++) {
    map(region, len, true, 'region');
    fill(region, pages, true);
    let at = region;
    let size = len;
    switch (action) {
      case 'madvise-dontneed':
        op(m, 'madvise', cpu, () => madvise(m, mm, region, len, 'dontneed'));
        break;
      case 'madvise-free':
        op(m, 'madvise', cpu, () => madvise(m, mm, region, len, 'free'));
        break;
      case 'mprotect':
        op(m, 'mprotect', cpu, () => mprotect(m, mm, region, len, { read: true, write: false, exec: false }));
        break;
      case 'mremap': {
        const r = op(m, 'mremap', cpu, () => mremap(m, mm, region, len, 2 * len, true));
        if (!r.moved) throw new Error('mremap workload: the region grew in place (layout bug)');
        at = r.addr!;
        size = 2 * len;
        break;
      }
      case 'munmap':
        break;
    }
    op(m, 'munmap', cpu, () => munmap(m, mm, at, size));
  }
}

export const REGION_WORKLOADS: Workload[] = (['munmap', 'madvise-dontneed', 'madvise-free', 'mprotect', 'mremap'] as const).map(regionWorkload);
