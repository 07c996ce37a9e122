import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from './vitest.shared';

/**
 * Every library package's tests in one vitest run (the root `test:libs` task that `pnpm test`
 * starts): the packages share one config (vitest.shared.ts), so one vite server transforms the
 * core sources once and one module graph serves them all, where a run per package paid that
 * eight times. `pnpm test` in a package still runs that package's tests alone.
 */
export default mergeConfig(packageTestConfig, defineConfig({ test: { include: ['packages/*/test/**/*.test.ts'] } }));
