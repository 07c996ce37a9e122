/**
 * The hugetlb features of the kernel axis (features.ts): the machine's kernel picks V0, V1 or V2,
 * stable backports included, and `--feature` changes move it. Exact counts on hugetlb SPEC.md §7
 * scenarios: the "one of two sharers of 4 GiB exits" and G5 on 6.1.
 */
import { describe, expect, it } from 'vitest';
import { munmap } from '@tlbsim/core';
import { B, G, M, regions, world } from './helpers.js';

/** P maps and touches 4 GiB of a hugetlb file (one page per GiB region), forks C, C touches and exits */
function sharerExits(kernel: string, features: string[] = []) {
  const w = world({ kernel, features });
  const P = w.proc('P', 0);
  const F = w.m.createFile('F');
  w.mapFile(P, F, B, 4 * G);
  w.touchAll(P, regions(B, 4, 2 * M));
  const C = w.forkProc(P, 'C', 1);
  w.touchAll(C, regions(B, 4, 4 * M));
  const d = w.measure(() => w.exit(C));
  return { behaviour: w.h.behaviour, ipis: d.ipis, unsh: d.unsh };
}

describe('the kernel picks the unshare behaviour', () => {
  const cases: [string, string, number][] = [
    ['6.1', 'V0', 0],
    ['6.1.142', 'V1', 4], // 1013af4f58 backported
    ['6.1.167', 'V2', 1], // 8ce720d5bd backported
    ['6.12.34', 'V0', 0],
    ['6.12.35', 'V1', 4],
    ['6.12.74', 'V2', 1],
    ['6.15', 'V0', 0],
    ['6.16', 'V1', 4],
    ['6.18', 'V1', 4],
    ['6.18.13', 'V2', 1],
    ['6.18.44', 'V2', 1], // this machine's kernel: one broadcast where plain 6.18 sends four
    ['6.19', 'V2', 1],
    ['7.1', 'V2', 1],
  ];
  for (const [kernel, v, ipis] of cases) {
    it(`${kernel}: ${v}, ${ipis} broadcast(s) when one of two sharers of 4 GiB exits`, () => {
      expect(sharerExits(kernel)).toEqual({ behaviour: v, ipis, unsh: 4 });
    });
  }
  it('+8ce720d5bd on 6.18 is V2; -8ce720d5bd on 6.18.44 is V1; -1013af4f58 on 6.16 is V0', () => {
    expect(sharerExits('6.18', ['+8ce720d5bd'])).toEqual({ behaviour: 'V2', ipis: 1, unsh: 4 });
    expect(sharerExits('6.18.44', ['-hugetlb-unshare-batched'])).toEqual({ behaviour: 'V1', ipis: 4, unsh: 4 });
    expect(sharerExits('6.16', ['-1013af4f58'])).toEqual({ behaviour: 'V0', ipis: 0, unsh: 4 });
  });
});

describe('6.1 on hugetlb SPEC.md §7 G5 (munmap of 64 GiB, every table shared by 2)', () => {
  for (const [kernel, ipis] of [['6.1', 0], ['6.1.142', 64], ['6.1.167', 1]] as const) {
    it(`${kernel}: 64 tables unshared, ${ipis} broadcast(s), one flush`, () => {
      const w = world({ kernel });
      const F = w.m.createFile('F');
      const Q = w.proc('Q', 0);
      const R = w.proc('R', 1);
      w.mapFile(R, F, B, 64 * G);
      w.touchAll(R, regions(B, 64, 2 * M));
      w.mapFile(Q, F, B, 64 * G);
      w.touchAll(Q, regions(B, 64, 4 * M));
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expect({ unsh: d.unsh, full: d.full, ipis: d.ipis, flushes: d.flushes }).toEqual({ unsh: 64, full: 64, ipis, flushes: 1 });
      expect(w.m.metrics.violations).toEqual([]);
    });
  }
});
