import { describe, expect, it } from 'vitest';
import { Machine, archInternals, generic, internalsKey, type ArchBackend } from '../src/index.js';

interface Probe {
  runs: number;
}
const PROBE = internalsKey<Probe>('probe');

/** A backend whose runtime carries per-run internals under PROBE. */
function probe(): ArchBackend {
  const base = generic();
  return { ...base, name: 'probe', create: (ctx) => ({ ...base.create(ctx), internals: { key: PROBE, value: { runs: ctx.nrCpus } } }) };
}

describe('archInternals', () => {
  it('returns the value under the backend key, one object per machine', () => {
    const a = new Machine({ arch: probe(), cpus: 2 });
    const b = new Machine({ arch: probe(), cpus: 3 });
    expect(archInternals(a, PROBE).runs).toBe(2);
    expect(archInternals(b, PROBE).runs).toBe(3);
  });
  it('refuses a machine of another backend, naming the caller and both arches', () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    expect(() => archInternals(m, PROBE, 'probeInternals')).toThrow("probeInternals: the machine runs arch 'generic', not 'probe'");
  });
  it('a key of the same name is another key', () => {
    const m = new Machine({ arch: probe(), cpus: 1 });
    expect(() => archInternals(m, internalsKey<Probe>('probe'))).toThrow("probe internals: the 'probe' runtime has no internals under this key");
  });
});
