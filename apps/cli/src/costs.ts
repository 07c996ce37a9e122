/**
 * The cost model on the command line: `tlbsim arches --costs` shows every figure with its source,
 * `--cost ARCH:KEY=NS,...` overrides figures for one architecture's columns. estimatedNs is a
 * model estimate built from these figures; counts are tlbsim's primary output.
 */
import { didYouMean, type ArchBackend, type CostModel } from '@tlbsim/core';
import { ARCH_NAMES, defaultBackend } from './arches.js';
import { UsageError, unknownChoice } from './errors.js';

/** The scalar figures every cost model has, with what each prices. */
export const COST_FIELDS = {
  ipiSend: 'sending one cross-call (initiator side)',
  ipiPerTarget: 'each CPU that receives it (entry, handler, ack)',
  pageFree: 'freeing one page to the allocator',
  tableFree: 'freeing one page-table page',
  rcuCallback: 'running one RCU callback',
  defaultInstruction: 'an instruction the table does not list',
} as const satisfies Partial<Record<keyof CostModel, string>>;
type CostField = keyof typeof COST_FIELDS;
const FIELD_NAMES = Object.keys(COST_FIELDS) as CostField[];

export interface CostRow {
  key: string;
  ns: number;
  what: string;
  source: string;
}

/** Every figure of a backend's cost model: the scalars, then each instruction. */
export function costRows(b: ArchBackend): CostRow[] {
  const c = b.cost;
  const src = (k: string) => c.sources[k] ?? 'estimate (no source recorded)';
  return [
    ...FIELD_NAMES.map((k) => ({ key: k, ns: c[k], what: COST_FIELDS[k], source: src(k) })),
    ...Object.keys(c.instructions).sort().map((k) => ({ key: k, ns: c.instructions[k], what: 'one execution', source: src(k) })),
  ];
}

/** `--cost x86:ipiSend=1500,INVLPG=120` (repeatable) as partial cost models by architecture. */
export function parseCostSpecs(specs: readonly string[]): Map<string, Partial<CostModel>> {
  const out = new Map<string, Partial<CostModel>>();
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    if (colon <= 0) throw new UsageError(`--cost ${spec}: expected ARCH:KEY=NS[,KEY=NS...], e.g. --cost x86:ipiSend=1500`);
    const arch = spec.slice(0, colon);
    if (!ARCH_NAMES.includes(arch)) throw unknownChoice('architecture', arch, ARCH_NAMES, 'architectures');
    const base = defaultBackend(arch).cost;
    const over = out.get(arch) ?? {};
    const instr: Record<string, number> = { ...(over.instructions ?? {}) };
    for (const pair of spec.slice(colon + 1).split(',')) {
      const eq = pair.lastIndexOf('=');
      const key = pair.slice(0, eq).trim();
      const raw = pair.slice(eq + 1).trim();
      if (eq <= 0 || !raw) throw new UsageError(`--cost ${spec}: "${pair}" is not KEY=NS`);
      const ns = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(ns)) throw new UsageError(`--cost ${arch}:${key} must be a number of nanoseconds >= 0, got "${raw}"`);
      if ((FIELD_NAMES as string[]).includes(key)) (over as Record<string, number>)[key] = ns;
      else if (key in base.instructions) instr[key] = ns;
      else {
        const valid = [...FIELD_NAMES, ...Object.keys(base.instructions).sort()];
        throw new UsageError(`--cost ${arch}: unknown figure "${key}"${didYouMean(key, valid)}; valid: ${valid.join(', ')} (tlbsim arches ${arch} --costs)`);
      }
    }
    if (Object.keys(instr).length) over.instructions = instr;
    over.sources = { ...(over.sources ?? {}), ...Object.fromEntries(Object.keys({ ...over, ...instr }).filter((k) => k !== 'instructions' && k !== 'sources').map((k) => [k, 'set on the command line (--cost)'])) };
    out.set(arch, over);
  }
  return out;
}
