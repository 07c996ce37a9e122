import type { Kconfig } from '@tlbsim/core';

// The three generic-backend configurations of core's tests (packages/core/test/helpers.ts).
export const CONFIG_G: Partial<Kconfig> = {};
export const CONFIG_X: Partial<Kconfig> = { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true };
export const CONFIG_P: Partial<Kconfig> = { MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_MERGE_VMAS: true };
