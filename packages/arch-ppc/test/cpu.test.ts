/** Which POWER9 revisions get which tlbie fix-up (cpu.ts), and the difference in a flush. */
import { describe, expect, it } from 'vitest';
import { CPU_PVR, dtCpuFtrsErrata, p9ErrataFor, ppc } from '../src/index.js';
import { K64, S, flushGather, rig, running } from './helpers.js';

describe('POWER9 errata by PVR and platform', () => {
  it('powernv (update_tlbie_feature_flag): STQ below Nimbus DD2.3 and Cumulus DD1.3 and on an unknown chip', () => {
    expect([0x004e1200, 0x004e1201, 0x004e1202, 0x004e1203, 0x004e0203].map(dtCpuFtrsErrata)).toEqual(['erat+stq', 'erat+stq', 'erat+stq', 'erat', 'erat']);
    expect([0x004e2102, 0x004e2103, 0x004e4203].map(dtCpuFtrsErrata)).toEqual(['erat+stq', 'erat', 'erat+stq']);
    expect(dtCpuFtrsErrata(CPU_PVR.power10)).toBe('none');
  });
  it('pseries (cputable CPU_FTRS_POWER9): ERAT+STQ on every revision; none on POWER10', () => {
    expect([CPU_PVR['power9-dd2.3'], 0x004e2103].map((p) => p9ErrataFor(p, 'pseries'))).toEqual(['erat+stq', 'erat+stq']);
    expect(p9ErrataFor(CPU_PVR.power10, 'pseries')).toBe('none');
  });
  it("the cpu option's default errata: QEMU's POWER9 (DD2.2) gets both, power9 (DD2.3) ERAT only", () => {
    const errata = (o: Parameters<typeof ppc>[0]) => ppc(o).options.p9Errata;
    expect(['power9-dd2.0', 'power9-dd2.1', 'power9-dd2.2', 'power9-dd2.3', 'power9'].map((cpu) => errata({ cpu: cpu as never }))).toEqual(['erat+stq', 'erat+stq', 'erat+stq', 'erat', 'erat']);
    expect(errata({ cpu: 'power9', platform: 'pseries' })).toBe('erat+stq');
    expect(errata({ cpu: 'power9', gtse: false })).toBe('erat+stq'); // a guest without GTSE is pseries
    expect(errata({ cpu: 'power9', pvr: 0x004e2103 })).toBe('erat');
    expect(errata({ cpu: 'power9-dd2.2', p9Errata: 'erat' })).toBe('erat'); // given, it wins
  });
  it('8-page global flush (ppc SPEC.md G4): DD2.2 10 tlbie (ERAT + STQ fix-ups), DD2.3 9', () => {
    const tlbies = (cpu: string) => {
      const r = rig({ cpu: cpu as never });
      running(r, [0, 1, 2, 3]);
      return flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 }).seq.filter((x) => x.startsWith('tlbie ')).length;
    };
    expect([tlbies('power9-dd2.2'), tlbies('power9-dd2.3'), tlbies('power10')]).toEqual([10, 9, 8]);
  });
});
