import { exitThread, fork, mmap, munmap, touch, type Machine, type Mm, type Thread } from '@tlbsim/core';
import { BEHAVIOURS, hugetlbOf, installHugetlb, type Behaviour } from '@tlbsim/hugetlb';
import { UsageError } from '../errors.js';
import { COMMON, type Extra, type Workload } from './params.js';
import { mmapTop, op, pmdSpan, schedule } from './helpers.js';

const GIB = 2 ** 30;

/** hugetlb statistics for a result (only when the run touched hugetlb memory). */
export function hugetlbExtra(m: Machine): Extra | undefined {
  const h = hugetlbOf(m);
  if (!h || h.stats.faults === 0) return undefined;
  return { hugetlb: { behaviour: h.behaviour, sharing: h.sharing, ...h.stats } };
}

/** Scenarios get hugetlb support so hugetlb mmaps work: the kernel's behaviour unless --hugetlb overrides it. */
export function setupHugetlb(m: Machine, behaviour?: Behaviour): void {
  installHugetlb(m, behaviour ? { behaviour } : {});
}

export const HUGETLB_SHARE: Workload = {
  name: 'hugetlb-share',
  summary: 'a MAP_SHARED hugetlb mapping whose PMD tables `sharers` processes share; the newest sharer exits or munmaps',
  details:
    'The owner (CPU0) maps `gib` GiB of MAP_SHARED hugetlb memory with PMD-sized pages (2 MiB with 4 KiB pages) at a 1 GiB-aligned address ' +
    '(aligned to the PUD span where that is larger) and writes every huge page; `sharers`-1 forked children each touch every huge page, ' +
    'so each shares every PMD table (huge_pmd_share); then the most recently forked child (the owner when sharers=1) does `op`. ' +
    'All processes run on CPU0, one at a time; CPUs 1.. run an unrelated process in user mode (they receive broadcast IPIs only). ' +
    'Each iteration forks new children (earlier ones stay alive); when the owner did `op`, the next iteration maps and populates afresh. ' +
    '`hugetlb` is the unshare behaviour: `kernel` (the default) takes the one the kernel has (--kernel: V0 before 1013af4f58, V1 with it, V2 with 8ce720d5bd); V0, V1 or V2 override it. ' +
    'Results carry hugetlb.* statistics (tablesShared, tablesUnshared, syncIpis...). On an architecture without PMD sharing (ppc) it runs and shares nothing.',
  params: [
    ...COMMON,
    { name: 'gib', type: 'int', default: 1, min: 1, max: 64, description: 'size of the mapping in GiB' },
    { name: 'sharers', type: 'int', default: 2, min: 1, max: 256, description: 'processes mapping it: the owner and sharers-1 forked children' },
    { name: 'op', type: 'enum', default: 'exit', choices: ['exit', 'munmap'], description: 'what the most recently forked child (or the owner) does' },
    { name: 'hugetlb', type: 'enum', default: 'kernel', choices: ['kernel', ...BEHAVIOURS], description: "behaviour of huge_pmd_unshare: 'kernel' (the kernel's, default), or V0, V1, V2 to override it" },
  ],
  run(m, p) {
    installHugetlb(m, p.hugetlb === 'kernel' ? {} : { behaviour: p.hugetlb as Behaviour });
    const huge = pmdSpan(m);
    if (!m.arch.hugePageSizes.includes(huge)) {
      throw new UsageError(`hugetlb-share needs PMD-sized hugetlb pages (${huge / 2 ** 20} MiB), which ${m.arch.name} (${m.arch.label}) does not offer`);
    }
    const pud = m.geometry.levels[2].folding === 'none' ? 2 ** m.geometry.levels[2].shift : GIB;
    const align = Math.max(GIB, pud);
    const len = (p.gib as number) * GIB;
    const addr = Math.floor((mmapTop(m) / 2 - len) / align) * align;
    const nHuge = len / huge;
    // unrelated work on the other CPUs
    if (m.cpus.length > 1) {
      const other = m.createMm('unrelated');
      for (let c = 1; c < m.cpus.length; c++) m.addThread(other, `unrelated${c}`, c, 'running');
    }
    const populate = (mm: Mm) =>
      op(m, 'touch', 0, () => {
        for (let i = 0; i < nHuge; i++) {
          const r = touch(m, mm, addr + i * huge, { write: true });
          if (!r.ok) return r;
        }
        return { ok: true };
      });
    let owner: { mm: Mm; t: Thread } | null = null;
    let gen = 0;
    for (let it = 0; it < (p.iterations as number); it++) {
      if (!owner) {
        const mm = m.createMm(`owner${gen}`);
        const c0 = m.cpus[0];
        if (c0.curr && c0.curr.state === 'running') m.sleep(c0.curr);
        owner = { mm, t: m.addThread(mm, `owner${gen}`, 0, 'running') };
        gen++;
        op(m, 'mmap', 0, () => mmap(m, mm, { addr, length: len, shared: true, hugetlb: true, hugeSize: huge, name: 'hugetlb' }));
        populate(mm);
      }
      let last: { mm: Mm; t: Thread } = owner;
      for (let k = 1; k < (p.sharers as number); k++) {
        schedule(m, owner.t);
        const name = `child${it}.${k}`;
        const parent = owner.mm;
        const child = m.op('fork', 0, () => fork(m, parent, name));
        m.sleep(owner.t);
        const t = m.addThread(child, name, 0, 'running');
        populate(child);
        last = { mm: child, t };
      }
      schedule(m, last.t);
      const target: { mm: Mm; t: Thread } = last;
      if (p.op === 'exit') m.op('exit', 0, () => exitThread(m, target.t));
      else op(m, 'munmap', 0, () => munmap(m, target.mm, addr, len));
      if (target === owner) owner = null;
    }
    return hugetlbExtra(m);
  },
};
