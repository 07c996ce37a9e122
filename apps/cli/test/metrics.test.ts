import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArchSpecs } from '../src/arches.js';
import { runJob } from '../src/engine.js';
import { metricOf, metricsMarkdown, registry } from '../src/metrics-registry.js';
import { metricKeys } from '../src/report-data.js';
import { resolveParams } from '../src/workloads/params.js';
import { WORKLOADS } from '../src/workloads/index.js';

const DOC = new URL('../../../docs/metrics.md', import.meta.url);

// Configurations that reach every counter and instruction family of each backend.
const VARIANTS = parseArchSpecs([
  'x86', 'x86:pti=on', 'x86:pcid=off', 'x86:pti=on,invpcid=off', 'x86:invlpgb=on', 'x86:paravirt=kvm', 'x86:paravirt=hyperv',
  'arm64', 'arm64:tlbiRange=on', 'arm64:kpti=on', 'arm64:kernel=v6.1',
  'ppc', 'ppc:mmu=hash', 'ppc:mmu=hash,platform=pseries', 'ppc:cpu=power9,p9Errata=erat+stq', 'ppc:tlbie=off', 'ppc:gtse=off',
  'riscv', 'generic',
]);

describe('metric registry', () => {
  it('docs/metrics.md is the registry rendered (regenerate: tlbsim metrics --format markdown > docs/metrics.md)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(metricsMarkdown());
  });

  it('names each metric once, with a unit, a definition and a kernel counterpart', () => {
    const keys = registry().map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of registry()) {
      expect(d.definition.length, d.key).toBeGreaterThan(20);
      expect(d.kernel.length, d.key).toBeGreaterThan(5);
    }
  });

  it('resolves per-CPU spellings to the run metric', () => {
    expect(metricOf('instructions.INVLPG')?.key).toBe('tlbInstructions.INVLPG');
    expect(metricOf('interrupts.TLB')?.key).toBe('counters.interrupts.TLB');
    expect(metricOf('ipisReceived')?.scope).toBe('cpu');
    expect(metricOf('nonsense')).toBeUndefined();
  });

  // one test per workload, yielding between runs so the worker's event loop is never held long
  for (const w of WORKLOADS) {
    it(`documents every key ${w.name} produces on any backend, for that backend`, async () => {
      const missing = new Set<string>();
      for (const cpus of [2, 4]) {
        const sets = [`cpus=${cpus}`, ...(w.params.some((p) => p.name === 'pages') ? ['pages=40'] : [])];
        const params = resolveParams(w, sets);
        for (const v of VARIANTS) {
          await new Promise((r) => setImmediate(r));
          const { result } = runJob({ kind: 'workload', workload: w.name, params }, v);
          const keys = [...metricKeys([result]), ...result.cpus.flatMap((c) => [...Object.keys(c.counters), ...Object.keys(c.instructions).map((k) => `instructions.${k}`)])];
          for (const k of keys) {
            const d = metricOf(k);
            if (!d || (d.backends !== 'all' && !d.backends.includes(v.name))) missing.add(`${v.id}: ${k}`);
          }
        }
      }
      expect([...missing]).toEqual([]);
    });
  }
});
