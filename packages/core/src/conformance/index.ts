/**
 * The backend conformance suite: every architecture backend runs it from a ~20-line test file,
 * in the style of unstorage's testDriver() and better-auth's testAdapter():
 *
 *   import { runArchConformance } from '@tlbsim/core/conformance';
 *   runArchConformance({ name: 'x86', arch: () => x86(), disableTests: { someTest: 'why' } });
 *
 * It drives the contract through core's mm operations across sizes, levels, page sizes, fullmm,
 * freed tables, nested gathers and batched unmap; asserts the checker finds nothing; and asserts
 * what every correct backend must satisfy (declared Kconfig honoured, counters consistent).
 */
import { describe, expect, it } from 'vitest';
import type { ArchBackend } from '../arch/contract.js';
import { Machine, prng } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import { mmap } from '../mm/mmap.js';
import { touch } from '../mm/fault.js';
import { munmap } from '../mm/munmap.js';
import { madvise } from '../mm/madvise.js';
import { mprotect } from '../mm/mprotect.js';
import { mremap } from '../mm/mremap.js';
import { fork } from '../mm/fork.js';
import { exitThread } from '../mm/exit.js';
import { reclaimFilePages } from '../mm/reclaim.js';
import { tlbGatherMmu } from '../gather/mmu-gather.js';
import { lookupEntry } from '../mm/pgtable.js';
import { PROPERTY_TIME_LIMIT_MS, propertyRuns, propertyTestTimeout } from '../testing/index.js';

export interface ConformanceOptions {
  /** shown in the describe() title */
  name?: string;
  /** a fresh backend per test */
  arch: () => ArchBackend;
  /** tests to skip, by name, with the reason (greppable gaps, drizzle style) */
  disableTests?: Record<string, string>;
  /** CPUs in the test machines (default 4) */
  cpus?: number;
  /** add backend-specific cases inside the shared suite */
  additionalTests?: (ctx: { newMachine: () => Fixture }) => void;
}

export interface Fixture {
  m: Machine;
  mm: Mm;
  /** base page size of the backend */
  ps: number;
  /** PMD size (one PTE table's span) */
  pmd: number;
}

/** The names of the suite's tests, for `disableTests`. */
export const CONFORMANCE_TESTS = [
  'munmap-small', 'munmap-large', 'munmap-frees-tables', 'sleeping-peer', 'exit-fullmm', 'madvise-dontneed',
  'madvise-free', 'mprotect', 'thp-then-small', 'nested-gathers', 'fork-cow', 'mremap-move', 'reclaim-batched',
  'kconfig-merge-vmas', 'kconfig-page-size', 'kconfig-rcu-table-free', 'counters-consistent', 'flush-tlb-page',
  'flush-tlb-kernel-range', 'random-sequences', 'deterministic',
] as const;
export type ConformanceTest = (typeof CONFORMANCE_TESTS)[number];

export function runArchConformance(o: ConformanceOptions): void {
  const cpus = o.cpus ?? 4;
  const disabled = o.disableTests ?? {};
  for (const k of Object.keys(disabled)) {
    if (!(CONFORMANCE_TESTS as readonly string[]).includes(k)) throw new Error(`disableTests: unknown test "${k}"; tests: ${CONFORMANCE_TESTS.join(', ')}`);
  }
  const newMachine = (peer: 'running' | 'sleeping' | 'none' = 'running'): Fixture => {
    const arch = o.arch();
    const m = new Machine({ arch, cpus });
    const mm = m.createMm('A');
    m.addThread(mm, 't0', 0, 'running');
    if (peer !== 'none') for (let c = 1; c < cpus; c++) m.addThread(mm, `t${c}`, c, peer);
    return { m, mm, ps: 2 ** arch.geometry.pageShift, pmd: 2 ** arch.geometry.levels[1].shift };
  };
  /** a test; `skip` names why it does not apply to this configuration (shown in the skip) */
  const test = (name: ConformanceTest, fn: () => void, opts: { skip?: string; timeout?: number } = {}) => {
    if (disabled[name]) it.skip(`${name} (disabled: ${disabled[name]})`, fn);
    else if (opts.skip) it.skip(`${name} (skipped: ${opts.skip})`, fn);
    else it(name, fn, opts.timeout);
  };
  // what the configuration declares, read once to decide which tests apply
  const probe = o.arch();
  const declaresThp = probe.thpPmdSize === 2 ** probe.geometry.levels[1].shift;
  const probeRt = new Machine({ arch: o.arch(), cpus: 1 }).runtime;
  const hasKernelRangeFlush = typeof probeRt.flushTlbKernelRange === 'function';
  const clean = (f: Fixture) => expect(f.m.metrics.violations, JSON.stringify(f.m.metrics.violations[0] ?? null)).toEqual([]);
  /** map `pages` pages at a PMD-aligned base and touch them from every CPU running the mm */
  const populate = (f: Fixture, base: number, pages: number, opts: { alone?: boolean } = {}) => {
    const { m, mm, ps } = f;
    m.op('mmap', 0, () => expect(mmap(m, mm, { addr: base, length: pages * ps }).ok).toBe(true));
    if (!opts.alone) m.op('mmap', 0, () => mmap(m, mm, { addr: base + pages * ps + ps, length: ps, name: 'neighbour' }));
    for (const c of m.cpus) {
      if (!c.runningUser) continue;
      // one assertion over every page (an expect per page cost more than the touches)
      m.op('touch', c.id, () => expect([...Array(pages).keys()].filter((i) => !touch(m, mm, base + i * ps).ok), 'pages not faulted in').toEqual([]));
    }
  };

  describe(`arch conformance: ${o.name ?? probe.name}`, () => {
    test('munmap-small', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 2);
      f.m.op('munmap', 0, () => expect(munmap(f.m, f.mm, base, 2 * f.ps).ok).toBe(true));
      expect(f.m.metrics.pagesFreed).toBe(2);
      // one VMA, no table freed: one flush, whether at tlb_end_vma or at tlb_finish_mmu
      expect(f.m.metrics.archFlushes).toBe(1);
      clean(f);
    });
    test('munmap-large', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 700);
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 700 * f.ps));
      expect(f.m.metrics.pagesFreed).toBe(700);
      clean(f);
    });
    test('munmap-frees-tables', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 8, { alone: true });
      const frames = f.m.frames.allocated;
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 8 * f.ps));
      // the mm's only mapping: free_pgtables frees every table below the pgd, and each freed
      // table is one frame fewer (the count itself depends on the levels)
      expect(f.m.metrics.pagesFreed).toBe(8);
      expect(f.m.frames.allocated).toBe(1);
      expect(f.m.metrics.tablesFreed).toBe(frames - 8 - 1);
      clean(f);
    });
    test('sleeping-peer', () => {
      const f = newMachine('sleeping');
      const base = 64 * f.pmd;
      // the peers ran the mm before they blocked: they may hold translations
      for (let c = 1; c < cpus; c++) {
        const t = f.m.threads[c];
        f.m.run(t, c);
        if (c === 1) f.m.op('mmap', 0, () => mmap(f.m, f.mm, { addr: base, length: 16 * f.ps }));
        f.m.op('touch', c, () => { for (let i = 0; i < 16; i++) touch(f.m, f.mm, base + i * f.ps); });
        f.m.sleep(t);
      }
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 16 * f.ps));
      // a peer wakes up and runs the mm again
      f.m.op('wake', 1, () => f.m.run(f.m.threads[1], 1));
      f.m.op('mmap', 1, () => mmap(f.m, f.mm, { addr: base, length: f.ps }));
      f.m.op('touch', 1, () => touch(f.m, f.mm, base));
      f.m.op('munmap', 1, () => munmap(f.m, f.mm, base, f.ps));
      clean(f);
    });
    test('exit-fullmm', () => {
      const f = newMachine('sleeping');
      const base = 64 * f.pmd;
      populate(f, base, 600, { alone: true });
      for (const t of [...f.m.threads].reverse()) f.m.op('exit', t.cpu, () => { if (t.state !== 'running') f.m.run(t, t.cpu); exitThread(f.m, t); });
      expect(f.mm.dead).toBe(true);
      expect(f.m.metrics.pagesFreed).toBe(600);
      expect(f.m.frames.allocated).toBe(1); // only the pgd is left
      clean(f);
    });
    test('madvise-dontneed', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 40);
      f.m.op('madvise', 0, () => expect(madvise(f.m, f.mm, base, 40 * f.ps, 'dontneed').ok).toBe(true));
      expect(f.m.metrics.pagesFreed).toBe(40);
      f.m.op('touch', 1, () => touch(f.m, f.mm, base));
      clean(f);
    });
    test('madvise-free', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 40);
      f.m.op('madvise', 0, () => expect(madvise(f.m, f.mm, base, 40 * f.ps, 'free').ok).toBe(true));
      expect(f.m.metrics.pagesFreed).toBe(0);
      clean(f);
    });
    test('mprotect', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 40);
      f.m.op('mprotect', 0, () => expect(mprotect(f.m, f.mm, base, 40 * f.ps, { read: true, write: false, exec: false }).ok).toBe(true));
      f.m.op('mprotect', 0, () => mprotect(f.m, f.mm, base, 40 * f.ps, { read: true, write: true, exec: false }));
      clean(f);
    });
    /** a configuration without PMD-sized THP refuses one (the suite branches on the declaration) */
    const hasThp = (f: Fixture) => f.m.arch.thpPmdSize === f.pmd;
    test('thp-then-small', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      f.m.op('mmap', 0, () => mmap(f.m, f.mm, { addr: base, length: 2 * f.pmd }));
      if (!hasThp(f)) {
        expect(f.m.op('touch', 0, () => touch(f.m, f.mm, base, { thp: true }))).toMatchObject({ ok: false, errno: 'EINVAL' });
        return;
      }
      f.m.op('touch', 0, () => {
        expect(touch(f.m, f.mm, base, { thp: true }).ok).toBe(true);
        touch(f.m, f.mm, base + f.pmd);
        touch(f.m, f.mm, base + f.pmd + f.ps);
      });
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 2 * f.pmd));
      expect(f.m.metrics.pagesFreed).toBe(3);
      clean(f);
    });
    test('nested-gathers', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 4);
      const flushesBefore = f.m.metrics.archFlushes;
      f.m.op('nested', 0, () => {
        const b = tlbGatherMmu(f.m, f.mm);
        const a = tlbGatherMmu(f.m, f.mm);
        a.finish(); // sees another pending flusher: forced full flush with freed_tables
        b.finish();
      });
      expect(f.m.metrics.archFlushes - flushesBefore).toBe(1);
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 4 * f.ps));
      clean(f);
    });
    test('fork-cow', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 8);
      const child = f.m.op('fork', 0, () => fork(f.m, f.mm, 'B'));
      f.m.addThread(child, 'c0', 1, 'sleeping');
      f.m.op('cow', 1, () => { for (let i = 0; i < 8; i++) touch(f.m, f.mm, base + i * f.ps, { write: true }); });
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 8 * f.ps));
      clean(f);
    });
    test('mremap-move', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 8);
      const r = f.m.op('mremap', 0, () => mremap(f.m, f.mm, base, 8 * f.ps, 16 * f.ps));
      expect(r.ok && r.moved).toBe(true);
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, r.addr!, 16 * f.ps));
      expect(f.m.metrics.pagesFreed).toBe(8);
      clean(f);
    });
    test('reclaim-batched', () => {
      const arch = o.arch();
      const m = new Machine({ arch, cpus });
      const ps = 2 ** arch.geometry.pageShift;
      const file = m.createFile('cache');
      for (let c = 1; c < cpus; c++) {
        const mm = m.createMm(`P${c}`);
        m.addThread(mm, `p${c}`, c, 'running');
        m.op('mmap', c, () => mmap(m, mm, { addr: 0x40000000, length: 8 * ps, shared: true, file, write: false }));
        m.op('touch', c, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x40000000 + i * ps, { write: false }); });
      }
      const r = m.op('reclaim', 0, () => reclaimFilePages(m, file, [0, 1, 2, 3, 4, 5, 6, 7]));
      expect(r.freed).toBe(8);
      expect(r.batched).toBe(arch.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH);
      expect(m.metrics.violations).toEqual([]);
    });
    test('kconfig-merge-vmas', () => {
      // S9: two VMAs unmapped together; tlb_end_vma flushes between them unless MERGE_VMAS
      const f = newMachine('none');
      f.m.op('mmap', 0, () => {
        mmap(f.m, f.mm, { addr: 64 * f.pmd, length: f.pmd, exec: true });
        mmap(f.m, f.mm, { addr: 68 * f.pmd, length: f.pmd });
      });
      f.m.op('touch', 0, () => { touch(f.m, f.mm, 64 * f.pmd, { write: false }); touch(f.m, f.mm, 68 * f.pmd, { write: false }); });
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, 64 * f.pmd, 5 * f.pmd));
      expect(f.m.metrics.archFlushes).toBe(f.m.kconfig.MMU_GATHER_MERGE_VMAS ? 1 : 3);
      clean(f);
    });
    test('kconfig-page-size', () => {
      // S10: a THP then small pages in one gather; MMU_GATHER_PAGE_SIZE forces a flush between
      const f = newMachine('none');
      const base = 64 * f.pmd;
      f.m.op('mmap', 0, () => mmap(f.m, f.mm, { addr: base, length: 2 * f.pmd }));
      f.m.op('touch', 0, () => { touch(f.m, f.mm, base, { thp: true }); touch(f.m, f.mm, base + f.pmd); });
      f.m.op('madvise', 0, () => madvise(f.m, f.mm, base, f.pmd + f.ps, 'dontneed'));
      const k = f.m.kconfig;
      expect(f.m.metrics.archFlushes).toBe(k.MMU_GATHER_PAGE_SIZE ? 2 : 1);
      clean(f);
    }, { skip: declaresThp ? undefined : 'no PMD-sized THP in this configuration: no second page size to mix' });
    test('kconfig-rcu-table-free', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 4, { alone: true });
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 4 * f.ps));
      expect(f.m.metrics.rcuCallbacks > 0).toBe(f.m.kconfig.MMU_GATHER_RCU_TABLE_FREE);
      clean(f);
    });
    test('counters-consistent', () => {
      const f = newMachine('sleeping');
      f.m.run(f.m.threads[1], 1);
      const base = 64 * f.pmd;
      populate(f, base, 100);
      f.m.op('mprotect', 0, () => mprotect(f.m, f.mm, base, 100 * f.ps, { read: true, write: false, exec: false }));
      f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 100 * f.ps));
      const s = f.m.metrics.summary();
      const per = f.m.metrics.perCpu();
      expect(per.reduce((a, c) => a + c.ipisReceived, 0)).toBe(s.ipis);
      expect(per.reduce((a, c) => a + c.fullFlushes, 0)).toBeLessThanOrEqual(s.fullFlushes);
      expect(per.reduce((a, c) => a + c.rangedFlushes, 0)).toBeLessThanOrEqual(s.rangedFlushes);
      for (const [mn, n] of Object.entries(s.tlbInstructions)) {
        expect(per.reduce((a, c) => a + (c.instructions[mn] ?? 0), 0)).toBeLessThanOrEqual(n);
      }
      for (const c of per) expect(Object.keys(c.counters).sort()).toEqual([...f.m.arch.perCpuCounters].sort());
      expect(s.estimatedNs).toBeGreaterThan(0);
      clean(f);
    });
    /**
     * ptep_clear_flush as the kernel does it, with the hook called directly: clear one PTE that
     * every CPU has used, flush_tlb_page(vma, addr), free the page. The flush must reach every
     * CPU that may cache the translation. The same steps without the flush must be a finding
     * (H1), so the test can fail.
     */
    test('flush-tlb-page', () => {
      const clearFree = (flush: boolean) => {
        const f = newMachine();
        const base = 64 * f.pmd;
        populate(f, base, 4);
        const addr = base + 2 * f.ps;
        f.m.op('ptep_clear_flush', 0, () => {
          const e = lookupEntry(f.m, f.mm, addr, 0)!;
          expect(e.t.entries[e.i]).not.toBe(0);
          e.t.entries[e.i] = 0;
          const epoch = f.m.tlb.epoch;
          if (flush) f.m.runtime.flushTlbPage(f.mm, addr);
          f.m.checker.pageFreed(f.mm, addr, Math.log2(f.ps), epoch);
        });
        return f.m.metrics.violations;
      };
      expect(clearFree(true)).toEqual([]);
      const stale = clearFree(false);
      expect(stale.length).toBeGreaterThan(0);
      expect(new Set(stale.map((v) => v.hazard))).toEqual(new Set(['H1']));
    });
    /**
     * flush_tlb_kernel_range(start, end): kernel mappings are not in the TLB model, so what is
     * checked is that the hook leaves the user side intact: afterwards a munmap of the pages every
     * CPU used frees them all and the checker finds nothing (a flush of everything included).
     */
    test('flush-tlb-kernel-range', () => {
      const f = newMachine();
      const base = 64 * f.pmd;
      populate(f, base, 8);
      const k = 2 ** 46;
      f.m.op('vunmap', 0, () => f.m.runtime.flushTlbKernelRange!(k, k + 4 * f.ps));
      f.m.op('vunmap', 1, () => f.m.runtime.flushTlbKernelRange!(k, k + 2 ** 30));
      clean(f);
      f.m.op('munmap', 0, () => expect(munmap(f.m, f.mm, base, 8 * f.ps).ok).toBe(true));
      expect(f.m.metrics.pagesFreed).toBe(8);
      clean(f);
    }, { skip: hasKernelRangeFlush ? undefined : 'the backend models no flush_tlb_kernel_range hook (nothing in core calls it)' });
    /**
     * The property: whatever the sequence of mm operations, the checker finds nothing on the
     * kernel's behaviour (no stale translation after a free, no stale walk cache, no stale
     * permission), and the exits free every page. This is the one random-operation property of
     * the repository; every backend runs it over the configurations its conformance file lists.
     * TLBSIM_PROPERTY_RUNS=N sets the number of sequences (default 20); no new sequence starts
     * after PROPERTY_TIME_LIMIT_MS.
     */
    test('random-sequences', () => {
      const runs = propertyRuns(20);
      const deadline = Date.now() + PROPERTY_TIME_LIMIT_MS;
      for (let seed = 1; seed <= runs && Date.now() < deadline; seed++) {
        const rnd = prng(seed);
        const f = newMachine(seed % 2 ? 'running' : 'sleeping');
        const kworker = f.m.addThread(null, 'kworker', cpus - 1, 'sleeping');
        const base = 64 * f.pmd;
        const span = 4 * f.pmd / f.ps;
        f.m.op('mmap', 0, () => mmap(f.m, f.mm, { addr: base, length: span * f.ps }));
        let forks = 0;
        for (let i = 0; i < 30; i++) {
          const p = Math.floor(rnd() * span);
          const n = 1 + Math.floor(rnd() * Math.min(300, span - p));
          const a = base + p * f.ps;
          const cpu = Math.floor(rnd() * cpus);
          const t = f.m.threads[cpu];
          const choice = rnd();
          if (choice < 0.35) {
            if (t.state !== 'running') f.m.run(t, cpu);
            f.m.op('touch', cpu, () => { for (let k = 0; k < n; k++) if (f.mm.findVma(a + k * f.ps)) touch(f.m, f.mm, a + k * f.ps, { write: rnd() < 0.7 }); });
          } else if (choice < 0.47) f.m.op('munmap', 0, () => munmap(f.m, f.mm, a, n * f.ps));
          else if (choice < 0.59) f.m.op('madvise', 0, () => madvise(f.m, f.mm, a, n * f.ps, 'dontneed'));
          else if (choice < 0.67) f.m.op('mprotect', 0, () => mprotect(f.m, f.mm, a, n * f.ps, { read: true, write: rnd() < 0.5, exec: false }));
          else if (choice < 0.75) f.m.op('mmap', 0, () => mmap(f.m, f.mm, { addr: a, length: n * f.ps }));
          else if (choice < 0.79) {
            // a THP where the configuration has one (a refusal otherwise)
            const h = base + Math.floor(rnd() * 4) * f.pmd;
            if (f.mm.findVma(h) && f.mm.findVma(h + f.pmd - f.ps)) f.m.op('thp', 0, () => touch(f.m, f.mm, h, { thp: true }));
          } else if (choice < 0.83) {
            const r = f.m.op('mremap', 0, () => mremap(f.m, f.mm, a, n * f.ps, 2 * n * f.ps));
            if (r.ok && r.moved) f.m.op('munmap', 0, () => munmap(f.m, f.mm, r.addr!, 2 * n * f.ps));
          } else if (choice < 0.86) {
            // fork: the parent's PTEs are write-protected and its pages shared with the child
            if (forks++ < 2) f.m.op('fork', 0, () => fork(f.m, f.mm, `C${forks}`));
          } else if (choice < 0.9) {
            // a kernel thread (lazy TLB on its CPU) zaps pages of the mm, as an async madvise would
            if (!f.m.cpus[cpus - 1].curr || f.m.cpus[cpus - 1].curr!.state !== 'running') {
              f.m.run(kworker, cpus - 1);
              f.m.op('kworker', cpus - 1, () => madvise(f.m, f.mm, a, n * f.ps, 'dontneed'));
              f.m.sleep(kworker);
            }
          } else if (cpu !== 0) {
            if (t.state === 'running') f.m.sleep(t);
            else f.m.run(t, cpu);
          }
        }
        for (const t of [...f.m.threads].reverse()) {
          if (t.mm !== f.mm || t.state === 'exited') continue;
          f.m.op('exit', t.cpu, () => { if (t.state !== 'running') f.m.run(t, t.cpu); exitThread(f.m, t); });
        }
        expect(f.m.metrics.violations, `seed ${seed}: ${JSON.stringify(f.m.metrics.violations[0] ?? null)}`).toEqual([]);
      }
    }, { timeout: propertyTestTimeout() });
    test('deterministic', () => {
      const once = () => {
        const f = newMachine();
        f.m.tracing = true;
        const base = 64 * f.pmd;
        populate(f, base, 50);
        f.m.op('munmap', 0, () => munmap(f.m, f.mm, base, 50 * f.ps));
        return JSON.stringify([f.m.metrics.summary(), f.m.metrics.perCpu(), f.m.events]);
      };
      expect(once()).toBe(once());
    });
    o.additionalTests?.({ newMachine: () => newMachine() });
  });
}
