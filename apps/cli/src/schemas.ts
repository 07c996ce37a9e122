/**
 * The JSON documents tlbsim writes, as zod schemas: schema/results.schema.json and
 * schema/sweep.schema.json are generated from them (z.toJSONSchema), and so is
 * schema/scenario.schema.json from core's scenario schemas; a test keeps the files fresh
 * (`pnpm --filter tlbsim schemas` writes them); the CLI's tests validate every document they
 * produce against the generated files.
 */
import { scenarioJsonSchema } from '@tlbsim/core';
import { z } from 'zod';

const ID = 'https://github.com/tlbsim/tlbsim/apps/cli/schema/';
const BUG_NAMES = ['free-pages-before-flush', 'free-tables-without-flush', 'skip-mprotect-flush'] as const;

const count = z.number().int().min(0).meta({ id: 'count' });
const counts = z.record(z.string(), count).meta({ id: 'counts' });
const param = z.union([z.number().int(), z.boolean(), z.string()]);

const metrics = z
  .strictObject({
    flushes: count.describe('every TLB flush operation of every kernel path (the sum of flushesBy)'),
    flushesBy: counts.describe('flushes by the kernel function that issued them (tlb_flush, flush_tlb_range, arch_tlbbatch_flush...)'),
    archFlushes: count.describe("calls of the architecture's tlb_flush hook that had something to flush"),
    ipis: count.describe('IPIs delivered (one per target CPU)'),
    firmwareIpis: count.describe('interruptions of other CPUs firmware delivered instead of a Linux IPI (riscv SBI fences)'),
    ipiBroadcasts: count.describe('IPI sends that targeted all other online CPUs'),
    tlbInstructions: counts.describe('instruction mnemonic (as the architecture names it) -> count'),
    fullFlushes: count,
    rangedFlushes: count,
    pagesFreed: count,
    tablesFreed: count,
    rcuCallbacks: count,
    batchPagesAllocated: count,
    forcedFlushes: count.describe('flushes caused by a full page batch'),
    estimatedNs: count.describe("the cost model's estimate (simulated, not wall-clock)"),
    violations: count.describe("the checker's findings"),
  })
  .meta({ id: 'metrics', description: 'the run totals of one architecture (docs/metrics.md)' });

const cpu = z
  .object({ cpu: count, ipisReceived: count, firmwareIpisReceived: count, fullFlushes: count, rangedFlushes: count, instructions: counts })
  .catchall(count)
  .meta({
    id: 'cpu',
    description:
      "per-CPU figures; the backend's counters appear under the kernel's names (x86: interrupts.TLB, interrupts.CAL, nr_tlb_remote_flush, nr_tlb_remote_flush_received, nr_tlb_local_flush_all, nr_tlb_local_flush_one)",
  });

const violation = z
  .strictObject({
    hazard: z.enum(['H1', 'H2', 'H3', 'H4']),
    cpu: z.number().int(),
    address: count,
    what: z.string().describe('what was freed or is stale, in words'),
    op: z.string().describe('the operation in progress'),
    opIndex: count.describe('scenario runs: the index of the op in progress').optional(),
    flush: z.string().describe('the flush that should have covered it, or that it came before any flush').optional(),
    cached: z
      .strictObject({ cpu: count, address: count, sinceNs: count.describe('simulated time since which the CPU may hold it (its last load or full flush of the mm)') })
      .describe('the translation (H1, H3) or walk-cache entry (H2) a CPU may still hold')
      .optional(),
    affected: z.number().int().min(1).describe('pages (H1, H3) or tables (H2) of this batch on this CPU the finding stands for (the rest are folded into it)').optional(),
    events: z.array(z.string()).describe('the events that led there'),
  })
  .meta({ id: 'violation', description: 'one checker finding (hazards H1-H4, docs/metrics.md: violations)' });

const hazardExercise = z
  .strictObject({
    checks: count.describe('checks run: H1 pages freed, H2 page tables freed or reused, H3 entries whose permission was reduced, H4 warning conditions evaluated'),
    findings: count,
    affected: count.describe('distinct pages (H1, H3), page tables (H2) or warnings (H4) the findings stand for'),
    why: z.string().describe('present when the class was not exercised: what the run lacked').optional(),
  })
  .meta({ id: 'hazardExercise' });

const bugExercise = z
  .strictObject({
    acted: count.describe('times the bug acted: pages freed before the flush, tables freed without flush, flushes of a reduced permission skipped'),
    why: z.string().describe('present when it never acted').optional(),
  })
  .meta({ id: 'bugExercise' });

const opRow = z.strictObject({
  index: count.optional(),
  op: z.string(),
  ok: z.boolean().optional(),
  errno: z.string().optional(),
  message: z.string().optional(),
  metrics: metrics.optional(),
  cpus: z.array(cpu).optional(),
});

const hugetlb = z
  .object({
    behaviour: z.enum(['V0', 'V1', 'V2']),
    sharing: z.boolean().describe('CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING on this architecture'),
    faults: count,
    tablesShared: count,
    tablesUnshared: count,
    tablesFullyUnshared: count,
    syncIpis: count,
    flushes: count,
  })
  .catchall(param)
  .describe('hugetlb statistics (@tlbsim/hugetlb), when the run used hugetlb memory');

export const resultSchema = z
  .strictObject({
    arch: z.string().describe('backend name: x86, arm64, ppc, generic'),
    variant: z.string().describe('the --arch spec, normalized: x86, x86:invlpgb=on'),
    label: z.string().describe("the backend's human label, with the options that matter"),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe("the backend's resolved options (defaults filled in)"),
    metrics,
    cpus: z.array(cpu),
    setup: z
      .strictObject({ metrics, cpus: z.array(cpu) })
      .describe('what setup cost (each thread present before the first operation switching onto its CPU): not in metrics unless --include-setup'),
    violations: z.array(violation),
    ops: z
      .array(opRow)
      .describe("every operation with what it caused (the counts sum to metrics): a scenario's ops with their index and outcome, a workload's phases by name; '(outside operations)' holds what no operation did")
      .optional(),
    hugetlb: hugetlb.optional(),
    replay: z.looseObject({}).describe("tlbsim replay only: this architecture's replay counts and assumption").optional(),
    callSites: z
      .looseObject({ byIpis: z.array(z.unknown()).optional(), byTlbInstructions: z.array(z.unknown()).optional() })
      .describe('tlbsim replay only: the top syscall lines by IPIs and by TLB instructions')
      .optional(),
    exercised: z
      .strictObject({
        hazards: z.strictObject({ H1: hazardExercise, H2: hazardExercise, H3: hazardExercise, H4: hazardExercise }),
        bugs: z
          .strictObject({ 'free-pages-before-flush': bugExercise.optional(), 'free-tables-without-flush': bugExercise.optional(), 'skip-mprotect-flush': bugExercise.optional() })
          .describe('each --bug: how often it acted, and why not when it never did'),
      })
      .describe('check only: what the checker checked in this run and how often each --bug acted')
      .optional(),
  })
  .meta({ id: 'result', description: 'one architecture variant (one column of the table)' });

export const resultsSchema = z
  .strictObject({
    tlbsim: z.string().describe('version of the tlbsim CLI'),
    workload: z.strictObject({
      name: z.string().describe("built-in workload, or the scenario's name"),
      params: z.record(z.string(), param).describe('every workload parameter, defaults filled in ({} for a scenario)'),
    }),
    scenario: z
      .strictObject({ source: z.string().describe('the scenario file as given'), cpus: z.number().int().min(1).max(1024) })
      .describe('present for `tlbsim run` / `tlbsim check` of a scenario file')
      .optional(),
    units: z.record(z.string(), z.string()).describe('the unit of every metric row the results contain (tlbsim metrics KEY defines each; docs/metrics.md lists them all)'),
    bugs: z.array(z.enum(BUG_NAMES)).describe('check only: the known bugs re-created (--bug)').optional(),
    findings: count.describe('check only: violations over all results (findings shown; each may fold several pages, see results[].exercised)').optional(),
    notExercised: z
      .array(z.strictObject({ variant: z.string(), bug: z.enum(BUG_NAMES).optional(), why: z.string() }))
      .describe('check only: what a run was asked to exercise and did not (exit status 3 when there are no findings): a --bug that never acted, or a run that checked no hazard class')
      .optional(),
    results: z.array(resultSchema),
    replay: z.looseObject({}).describe('tlbsim replay only: the trace files, line/syscall/failure/skip counts and the touch assumption').optional(),
  })
  .meta({
    title: 'tlbsim results (compare, run and check with --format json)',
    description: 'One document per invocation. Metric names and units are those of the metric registry (docs/metrics.md, tlbsim metrics). Same inputs give byte-identical documents.',
  });

export const sweepSchema = z
  .strictObject({
    tlbsim: z.string(),
    workload: z.strictObject({ name: z.string(), params: z.record(z.string(), param).describe('the parameters with one value over the whole sweep') }),
    vary: z.strictObject({ param: z.string(), values: z.array(param) }),
    points: z.array(z.strictObject({ value: param, params: z.record(z.string(), param), results: z.array(resultSchema) })),
  })
  .meta({ title: 'tlbsim sweep --format json' });

type Json = Record<string, unknown>;

/** zod's JSON Schema without the registry ids it leaves in $defs. */
function jsonSchema(schema: z.ZodType, file: string): Json {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12' }) as Json;
  const defs = out.$defs as Record<string, Json> | undefined;
  if (defs) for (const d of Object.values(defs)) delete d.id;
  const { $schema, ...rest } = out;
  return { $schema, $id: ID + file, ...rest };
}

/**
 * The files of schema/, by name, as they are written: results and its $defs (sweep refers to
 * them there, as results.schema.json#/$defs/result), sweep, scenario.
 */
export function schemaFiles(): Record<string, string> {
  const text = (j: Json) => JSON.stringify(j, null, 2) + '\n';
  const sweep = jsonSchema(sweepSchema, 'sweep.schema.json');
  // sweep's results are results.schema.json's: one definition, referred to across the files
  const refs = (node: unknown): unknown =>
    Array.isArray(node) ? node.map(refs) : node && typeof node === 'object'
      ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? `results.schema.json${v}` : refs(v)]))
      : node;
  const { $defs: _, ...sweepOwn } = sweep;
  return {
    'results.schema.json': text(jsonSchema(resultsSchema, 'results.schema.json')),
    'sweep.schema.json': text(refs(sweepOwn) as Json),
    'scenario.schema.json': text(scenarioJsonSchema(ID + 'scenario.schema.json')),
  };
}
