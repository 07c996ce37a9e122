import { unknownChoice } from '../errors.js';
import { EXIT } from './exit.js';
import { HUGETLB_SHARE } from './hugetlb-share.js';
import type { Workload } from './params.js';
import { RECLAIM } from './reclaim.js';
import { REGION_WORKLOADS } from './region.js';
import { WILL_IT_SCALE } from './willitscale.js';

export const WORKLOADS: readonly Workload[] = [...REGION_WORKLOADS, EXIT, HUGETLB_SHARE, RECLAIM, ...WILL_IT_SCALE];
export const WORKLOAD_NAMES = WORKLOADS.map((w) => w.name);

export function findWorkload(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw unknownChoice('workload', name, WORKLOAD_NAMES);
  return w;
}

export * from './params.js';
