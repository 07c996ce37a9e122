/**
 * The kernel changes the arm64 model reads (core's kernel feature registry): each one commit of
 * arch/arm64 (or of the mm code arm64 implements a hook of), the mainline release that first
 * carried it and the stable releases it was backported to. A modelled kernel has a feature when
 * its release carries it (`6.1.176` carries c2ff4764e03e), or by `+ID` / `-ID`.
 *
 * Changes merged before 6.1, the oldest release tlbsim models, are always in effect: the 2018
 * series (v4.20), TTL hints (v5.9), range TLBIs (v5.10), 52-bit user VA with 64K pages (v5.4).
 * SPEC.md §10 lists where each id and release was verified.
 */
import { defineKernelFeatures, releaseAtLeast, type KernelSpec } from '@tlbsim/core';

export const ARM64_FEATURES = defineKernelFeatures([
  {
    id: '43b3dfdd0455',
    name: 'arm64-batched-unmap',
    title: 'arm64 selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: reclaim issues the TLBIs per mapping and one DSB ISH per batch',
    mainline: '6.6',
    packages: ['arm64'],
  },
  {
    id: '6bbd42e2df8f',
    name: 'arm64-secondary-tlb-notifier',
    title: 'the arm64 flushes call mmu_notifier_arch_invalidate_secondary_tlbs (trace events only)',
    mainline: '6.6',
    packages: ['arm64'],
  },
  {
    id: 'e2768b798a19',
    name: 'arm64-tlbi-range-scale-down',
    title: '__flush_tlb_range_op counts the range scale down from 3 and issues the odd page last (same TLBI count, other order)',
    mainline: '6.9',
    backports: { '6.6': 29 },
    packages: ['arm64'],
  },
  {
    id: 'c910f2b65518',
    name: 'arm64-lpa2-tlbi',
    title: 'FEAT_LPA2 TLBI operands, TLBI_TTL_UNKNOWN instead of 0, level-0 (p4d) hints',
    mainline: '6.9',
    packages: ['arm64'],
  },
  {
    id: '73301e464a72',
    name: 'arm64-tlbi-range-max-pages',
    title: 'a range flush of exactly MAX_TLBI_RANGE_PAGES (2^21) pages uses range TLBIs instead of flush_tlb_mm',
    mainline: '6.10',
    packages: ['arm64'],
  },
  {
    id: 'a923705c69f7',
    name: 'arm64-kernel-range-tlbi',
    title: 'flush_tlb_kernel_range uses range TLBIs and the user range limit',
    mainline: '6.13',
    packages: ['arm64'],
  },
  {
    id: 'eed6bfa8b282',
    name: 'arm64-hugetlb-flush-level',
    title: 'flush_hugetlb_tlb_range hints CONT_PTE/CONT_PMD sizes and passes an unknown level otherwise',
    mainline: '6.14',
    packages: ['arm64'],
  },
  {
    id: '2f4ab3ac10e1',
    name: 'tlbbatch-range',
    title: 'arch_tlbbatch_add_pending takes a range: arm64 adds a whole folio as leaf level-3 range TLBIs',
    mainline: '6.15',
    packages: ['arm64'],
  },
  {
    id: '4b634918384c',
    name: 'arm64-batched-pending-flush-mm',
    title: 'arch_flush_tlb_batched_pending is flush_tlb_mm, not a DSB ISH',
    mainline: '6.16',
    backports: { '6.12': 35 },
    packages: ['arm64'],
  },
  {
    id: 'c320dbb7c80d',
    name: 'arm64-pte-needs-flush',
    title: 'pte_needs_flush / huge_pmd_needs_flush: mprotect skips the flush of an invalid or software-bit-only change',
    mainline: '6.19',
    packages: ['arm64'],
  },
  {
    id: 'a8f78680ee6b',
    name: 'arm64-repeat-tlbi-sync',
    title: 'ARM64_WORKAROUND_REPEAT_TLBI: one TLBI VALE1IS, XZR; DSB ISH per completion instead of TLBI; DSB; TLBI per op',
    mainline: '7.0',
    backports: { '6.1': 176, '6.12': 94 },
    packages: ['arm64'],
  },
  {
    id: 'c753d667d959',
    name: 'arm64-range-limit-simplified',
    title: '__flush_tlb_range_limit_excess: without range TLBIs only MAX_DVM_OPS counts, with them only MAX_TLBI_RANGE_PAGES',
    mainline: '7.1',
    packages: ['arm64'],
  },
  {
    id: '64212d689306',
    name: 'arm64-flush-tlb-page-hint',
    title: 'flush_tlb_page hints level 3',
    mainline: '7.1',
    packages: ['arm64'],
  },
  {
    id: 'c2ff4764e03e',
    name: 'arm64-unshare-walk-cache',
    title: 'tlb_flush invalidates the walk cache (VAE1IS) when a hugetlb PMD table was unshared (unshared_tables)',
    mainline: '7.1',
    backports: { '6.1': 176, '6.6': 143, '6.12': 93, '7.0': 12 },
    packages: ['arm64'],
  },
] as const);

type Feature = (typeof ARM64_FEATURES)[number];
const byName = new Map<string, Feature>(ARM64_FEATURES.map((f) => [f.name, f]));

/** the declared arm64 feature of that name (a typo is a programming error) */
export function arm64Feature(name: Feature['name']): Feature {
  return byName.get(name)!;
}

/**
 * Behaviour changes whose commit id could not be verified (SPEC.md §10): modelled from the
 * release named, and not offered as `--feature` changes. Only these compare releases.
 */
export const UNVERIFIED_CHANGES = {
  /** flush_hugetlb_tlb_range with the hstate's PMD/PUD stride (Kefeng Wang, mm tree, v6.6) */
  hugetlbStride: '6.6',
  /** PT_RECLAIM depending on MMU_GATHER_RCU_TABLE_FREE instead of x86 only (Qi Zheng) */
  ptReclaim: '6.19',
} as const;

/** whether `k` models a release with the unverified change `c` */
export function hasUnverified(k: KernelSpec, c: keyof typeof UNVERIFIED_CHANGES): boolean {
  return releaseAtLeast(k.release, UNVERIFIED_CHANGES[c]);
}
