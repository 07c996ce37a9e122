/**
 * The files `tlbsim new-arch NAME` writes: a backend package that builds and passes the shared
 * conformance suite with the kernel's generic flush behaviour, ready to be specialised.
 */
export interface ScaffoldVars {
  /** command-line name, e.g. `loongarch` */
  name: string;
  /** identifier for the factory, e.g. `loongarch` (dashes removed) */
  factory: string;
  /** version of the lockstep group (core's version) */
  version: string;
}

export function scaffoldFiles(v: ScaffoldVars): Record<string, string> {
  const pkg = `@tlbsim/arch-${v.name}`;
  return {
    'package.json': JSON.stringify({
      name: pkg,
      version: v.version,
      description: `tlbsim backend: ${v.name} TLB flushing as Linux does it`,
      license: 'MIT',
      type: 'module',
      sideEffects: false,
      files: ['dist'],
      main: './dist/index.cjs',
      module: './dist/index.js',
      types: './dist/index.d.ts',
      exports: {
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
        './package.json': './package.json',
      },
      scripts: { build: 'tsup', typecheck: 'tsc --noEmit -p .', lint: 'publint run . --strict --pack npm', test: 'vitest run' },
      peerDependencies: { '@tlbsim/core': 'workspace:^' },
      devDependencies: { '@tlbsim/core': 'workspace:*' },
    }, null, 2) + '\n',
    'tsconfig.json': JSON.stringify({
      extends: '../../tsconfig.base.json',
      compilerOptions: { paths: { '@tlbsim/core': ['../core/src/index.ts'], '@tlbsim/core/conformance': ['../core/src/conformance/index.ts'] } },
      include: ['src', 'test'],
    }, null, 2) + '\n',
    'tsup.config.ts': `import { defineConfig } from 'tsup';
export default defineConfig({ entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'node20' });
`,
    'vitest.config.ts': `import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against core's workspace sources (no build needed).
const core = (entry: string) => fileURLToPath(new URL(\`../core/src/\${entry}\`, import.meta.url));
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tlbsim\\/core\\/conformance$/, replacement: core('conformance/index.ts') },
      { find: /^@tlbsim\\/core$/, replacement: core('index.ts') },
    ],
  },
  test: { include: ['test/**/*.test.ts'] },
});
`,
    'src/index.ts': `/**
 * ${pkg}: the ${v.name} backend for tlbsim.
 *
 * Scaffolded by \`tlbsim new-arch ${v.name}\`: every hook below does what the kernel's generic code
 * does (asm-generic/tlb.h and the classic IPI-style flush of core's \`generic()\`). Specialise them
 * one at a time against arch/${v.name}/ in the kernel, each with a golden scenario test first.
 * Import only from '@tlbsim/core' (the contract and public helpers), never core internals.
 */
import {
  GENERIC_KCONFIG, X86_64_4LEVEL, defineArch, generic, makeGeometry, resolveArchOptions, withCostOverrides,
  type ArchBackend, type ArchContext, type ArchOptionsDef, type ArchRuntime, type CostModel, type Kconfig, type OptionSpec,
} from '@tlbsim/core';

export interface ${cap(v.factory)}Options {
  /** override any cost-model default */
  cost?: Partial<CostModel>;
}

/**
 * One spec per option (kind boolean / enum / integer, default, unit, a one-line description):
 * core's resolver checks what users give against them, for the library and for
 * \`--arch ${v.name}:NAME=VALUE\` alike. Rules between options go in \`derive\`.
 */
const OPTION_SPECS: OptionSpec[] = [];
type Resolved${cap(v.factory)}Options = Record<string, never>;
const OPTIONS: ArchOptionsDef<Resolved${cap(v.factory)}Options> = {
  arch: '${v.name}',
  specs: OPTION_SPECS,
  label: () => '${v.name} (generic flush behaviour)',
};

/**
 * What arch/${v.name}/Kconfig selects. Start from the generic set and change each symbol to what the
 * architecture's Kconfig says (packages/core/SPEC.md §8 says what each one changes).
 */
const KCONFIG: Kconfig = { ...GENERIC_KCONFIG };

export function ${v.factory}(options: ${cap(v.factory)}Options = {}): ArchBackend {
  const { options: resolved, label, cost } = resolveArchOptions(OPTIONS, options);
  const base = generic({ kconfig: KCONFIG });
  return defineArch({
    name: '${v.name}',
    label,
    options: { ...resolved },
    optionSpecs: OPTION_SPECS,
    kconfig: KCONFIG,
    // the page-table geometry: page shift, bits per level, levels, TASK_SIZE, folding
    geometry: makeGeometry({ pageShift: 12, bitsPerLevel: 9, realLevels: 4, taskSize: X86_64_4LEVEL.taskSize, folding: 'compile' }),
    // hugetlb page sizes the architecture offers (hstates)
    hugePageSizes: [2 ** 21, 2 ** 30],
    // PMD-sized transparent huge pages (0: none)
    thpPmdSize: 2 ** 21,
    // cited defaults; replace the generic guesses with measured figures and their sources
    cost: withCostOverrides(base.cost, cost),
    // per-CPU counters the kernel keeps for this architecture (bump with ctx.counter)
    perCpuCounters: [],
    create(ctx: ArchContext): ArchRuntime {
      const g = base.create(ctx);
      return {
        // tlb_flush(tlb): omitted, so core uses asm-generic's default (flush_tlb_mm for fullmm or
        // need_flush_all, else flush_tlb_range over the gathered range). Define it to specialise.
        // tlbFlush(gather) { ... },

        // flush_tlb_mm(mm): report every invalidation with ctx.invalidate / ctx.invalidateAllCpus
        flushTlbMm: (mm) => g.flushTlbMm(mm),
        // flush_tlb_range(vma, start, end)
        flushTlbRange: (mm, start, end, vma) => g.flushTlbRange(mm, start, end, vma),
        // flush_tlb_page(vma, addr)
        flushTlbPage: (mm, addr) => g.flushTlbPage(mm, addr),
        // switch_mm: what a context switch does to the TLB (ASIDs/PCIDs or a full flush)
        switchMm: (cpu, prev, next) => g.switchMm(cpu, prev, next),
        // optional hooks (see the contract's TSDoc; core's arch/asm-generic-tlb.ts holds the default
        // of each): enterLazy, onIpi, needsTableInvalidate, tlbRemoveTableSyncOne,
        // pteNeedsFlush, hugePmdNeedsFlush, flushPmdTlbRange, pmdpInvalidateAd, removeTlbEntry,
        // pteUpdate, enterLazyMmu, leaveLazyMmu, flushCacheRange, createTlbBatch (required if
        // KCONFIG selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH), tlbbatchShouldDefer,
        // flushTlbBatchedPending, flushTlbKernelRange, supportsPageTableMove, destroyMm, initMm,
        // internals, ftrace.
      };
    },
  });
}
`,
    'test/conformance.test.ts': `// The shared backend conformance suite (see CONTRIBUTING.md). Add option sets as the backend grows;
// skip a test only by name, with the reason: disableTests: { 'reclaim-batched': 'why' }.
import { runArchConformance } from '@tlbsim/core/conformance';
import { ${v.factory} } from '../src/index.js';

runArchConformance({ name: '${v.name}', arch: () => ${v.factory}() });
`,
    'README.md': `# ${pkg}

The ${v.name} backend for tlbsim, scaffolded by \`tlbsim new-arch ${v.name}\`. It starts with the kernel's
generic flush behaviour and passes the shared conformance suite; specialise it against the
kernel's arch/${v.name}/ (tlb.h, tlbflush.h, mm/tlb*.c), writing each rule and its golden scenario in
[SPEC.md](SPEC.md) and as a test first. See the repository's CONTRIBUTING.md and docs/architecture.md.

\`\`\`ts
import { Machine } from '@tlbsim/core';
import { ${v.factory} } from '${pkg}';
const m = new Machine({ arch: ${v.factory}(), cpus: 4 });
\`\`\`

| option | default | meaning |
|---|---|---|
| cost | cited defaults | override any cost-model figure |
`,
    'SPEC.md': specSkeleton(v),
  };
}

/**
 * The behavioural spec of the new backend, in the style of the other packages' SPEC.md: the
 * rules with the kernel function deciding each, the kernel versions, and the golden scenarios as
 * a table of setup, exact expected counts and deciding function. Only headings and prompts.
 */
function specSkeleton(v: ScaffoldVars): string {
  return `# ${v.name} TLB flushing for \`mmu_gather\`: behavioural spec for \`@tlbsim/arch-${v.name}\`

This page states, in our own words, what Linux does on ${v.name} when the generic \`mmu_gather\` layer
([core SPEC.md](../core/SPEC.md)) asks the architecture to flush, how the hardware primitives
behave, and what this backend therefore counts. Each rule names the kernel function that decides
it. Never paste kernel code or comments: restate the behaviour. Tags: **[V]** read in the kernel
source, **[R]** recalled, not re-read, **[D]** derived by us.

Baseline kernel: TODO (tree and commit read). Code comments cite this page by package and
section number (\`${v.name} SPEC.md\` and §2, say); keep the numbers stable.

## 1. Configuration
### 1.1 Kconfig
| symbol | value | why |
|---|---|---|
| MMU_GATHER_RCU_TABLE_FREE | TODO | TODO (arch/${v.name}/Kconfig) |
| MMU_GATHER_PAGE_SIZE / MERGE_VMAS / NO_RANGE / NO_GATHER | TODO | |
| ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH | TODO | |
| ARCH_WANT_HUGE_PMD_SHARE | TODO | |
| PT_RECLAIM | TODO | |

### 1.2 Page tables
TODO: levels and folding, TASK_SIZE, hugetlb and THP sizes.

### 1.3 Page-table freeing
TODO: \`__pte_free_tlb\` and friends, \`tlb_needs_table_invalidate\`, \`tlb_remove_table_sync_one\`.

## 2. The arch \`tlb_flush\`
R1. TODO: which gather fields it reads and what it calls (asm/tlb.h).

## 3. The flush primitives
TODO: \`flush_tlb_mm\`, \`flush_tlb_range\`, \`flush_tlb_page\`, \`flush_pmd_tlb_range\`,
\`flush_tlb_kernel_range\`: the instructions each issues, on which CPUs, and the thresholds.

## 4. Remote invalidation
TODO: IPIs or hardware broadcast; what a GUP-fast walker with IRQs off sees.

## 5. Context switch and ASIDs
TODO: \`switch_mm\`, lazy TLB, the ASID allocator and its rollover.

## 6. Batched unmap (reclaim)
TODO: \`arch_tlbbatch_*\`, or why the architecture does not select it.

## 7. Observability
TODO: the kernel's counters and trace points for TLB flushing on ${v.name}, by their kernel names.

## 8. Kernel versions
| from | change |
|---|---|
| TODO | TODO |

## 9. Golden scenarios
Baseline unless stated: TODO (CPUs, processes and where they run, addresses). Each row is a test
in \`test/golden.test.ts\` asserting exactly these counts.

| # | setup | exact expected counts | deciding kernel functions |
|---|---|---|---|
| G01 | TODO | TODO | TODO |

## 10. Cost model
| figure | ns | source |
|---|---|---|
| ipiSend | TODO | TODO (a measurement, or "estimate") |
`;
}

export function changesetFile(v: ScaffoldVars): string {
  return `---
"@tlbsim/arch-${v.name}": minor
---

@tlbsim/arch-${v.name}: a new backend for ${v.name}, scaffolded with the generic flush behaviour.
`;
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
