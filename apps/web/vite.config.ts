import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import cli from '../cli/package.json' with { type: 'json' };

const pkgs = ['core', 'arch-x86', 'arch-arm64', 'arch-ppc', 'arch-riscv', 'hugetlb'];
const src = (p: string) => fileURLToPath(new URL(`../../packages/${p}/src/index.ts`, import.meta.url));

/**
 * The workbench is built from the workspace sources (no library build needed first), the same
 * modules the CLI runs: core, the backends, hugetlb and the CLI's engine and workloads. The
 * simulator runs in a module Web Worker; `base: './'` lets dist/ be served from any path.
 */
export default defineConfig({
  base: './',
  resolve: { alias: pkgs.map((p) => ({ find: new RegExp(`^@tlbsim/${p}$`), replacement: src(p) })) },
  define: { __TLBSIM_VERSION__: JSON.stringify(cli.version) },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  preview: { host: '127.0.0.1', strictPort: false },
});
