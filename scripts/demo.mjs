// A built-in comparison through @tlbsim/core: a 2-thread process munmaps 64 touched pages while its
// other thread runs, under the generic backend with config G (asm-generic defaults) and with the
// Kconfig x86 selects (MERGE_VMAS, PT_RECLAIM). Superseded by `tlbsim compare` once the CLI exists.
import { generic, parseScenario, runScenario } from '@tlbsim/core';

const scenario = parseScenario(`
name: munmap-64
machine: { cpus: 2, seed: 1 }
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 2M }
  - touch: { thread: t0, addr: 0x40000000, pages: 64 }
  - munmap: { thread: t0, addr: 0x40000000, length: 2M }
`, 'demo.yaml');
const runs = [
  ['generic (config G)', generic()],
  ['generic + MERGE_VMAS, PT_RECLAIM', generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true } })],
].map(([name, arch]) => [name, runScenario(scenario, arch).metrics]);
const keys = ['archFlushes', 'ipis', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks', 'estimatedNs', 'violations'];
const w = Math.max(...keys.map((k) => k.length));
console.log(['metric'.padEnd(w), ...runs.map(([n]) => n)].join('  '));
for (const k of keys) console.log([k.padEnd(w), ...runs.map(([n, m]) => String(m[k]).padStart(n.length))].join('  '));
