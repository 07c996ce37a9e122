/**
 * The generic mm changes core models by release (core SPEC.md §12.1). Each is one kernel commit;
 * model code asks `m.kernel.has(...)`. Releases were checked against Debian's 6.1 and 6.12 sources
 * and their stable changelogs (see the table in docs/kernels.md).
 */
import { defineKernelFeatures } from './features.js';

export const [PT_RECLAIM_FEATURE, MADV_DONTNEED_BATCHED, MADV_FREE_BATCHED] = defineKernelFeatures([
  {
    id: '6375e95f381e',
    name: 'pt-reclaim',
    title: 'MADV_DONTNEED frees the PTE tables it empties (CONFIG_PT_RECLAIM; selected by x86-64 only until later releases)',
    mainline: '6.14',
    packages: ['core', 'x86'],
  },
  {
    id: '43c4cfde7e37',
    name: 'madvise-dontneed-one-gather',
    title: 'MADV_DONTNEED(_LOCKED) zaps every VMA of one call in one mmu_gather (before: a gather, so a flush, per VMA)',
    mainline: '6.16',
    packages: ['core'],
  },
  {
    id: '01bef02bf930',
    name: 'madvise-free-one-gather',
    title: 'MADV_FREE walks every VMA of one call in one mmu_gather (before: a gather, so a flush, per VMA)',
    mainline: '6.16',
    packages: ['core'],
  },
] as const);
