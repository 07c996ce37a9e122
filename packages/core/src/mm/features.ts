/**
 * The kernel features core's mm model reads (core SPEC.md §13.4): historic fixes of TLB-flush
 * ordering that every modelled release carries, so a kernel without one (`-ID`) re-creates the
 * race the fix closed, for schedule exploration to find.
 */
import { defineKernelFeatures } from '../kernel/features.js';

export const [MREMAP_FLUSH_UNDER_PTL, PFNMAP_FLUSH_BEFORE_UNLINK] = defineKernelFeatures([
  {
    id: 'eb66ae030829',
    name: 'mremap-flush-under-ptl',
    title: 'move_ptes flushes the old range before dropping the PTE locks whenever it moved a present PTE (CVE-2018-18281)',
    mainline: '4.19',
    packages: ['core'],
  },
  {
    id: 'b67fbebd4cf9',
    name: 'pfnmap-flush-before-unlink',
    title: 'a PFNMAP/MIXEDMAP VMA\'s pending TLB flush is done before the VMA leaves the rmap (CVE-2022-39188)',
    mainline: '6.0',
    packages: ['core'],
  },
]);
