import { z } from 'zod';
import { resolveKernel } from '../kernel/features.js';
import { KernelError } from '../kernel/release.js';

/** Hard limits a scenario may not exceed (refused with a clear error, not a crash). */
export const LIMITS = {
  cpus: 1024,
  /** pages one touch op may populate */
  touchPages: 1 << 24,
  /** bytes of one mapping */
  length: 2 ** 46,
  ops: 1_000_000,
  /** nesting levels of the document (a scenario needs about 5) */
  depth: 32,
  /** values in the document with YAML aliases expanded (1M ops of a few fields each fit) */
  values: 16_000_000,
} as const;

const SIZE_RE = /^(0x[0-9a-f]+|\d+)([kmgt]i?b?)?$/i;
const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A non-negative integer given as a number, "0x..." or "2M"/"4KiB". */
export const addrSchema = z.union([z.number(), z.string()], { error: (is) => `expected a number (4096, 0x1000 or 4K), got ${typeName(is.input)}` }).transform((v, ctx) => {
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const m = SIZE_RE.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a number (use 4096, 0x1000 or 4K)` });
      return z.NEVER;
    }
    n = Number(m[1]) * (m[2] ? UNITS[m[2][0].toLowerCase()] : 1);
  }
  const why = !Number.isFinite(n) ? 'is not a finite number' : !Number.isInteger(n) ? 'is not an integer' : n < 0 ? 'is negative' : !Number.isSafeInteger(n) ? 'is too large (at most 2^53 - 1; no mapping is longer than 2^46 bytes)' : '';
  if (why) {
    ctx.addIssue({ code: 'custom', message: `${v} ${why}` });
    return z.NEVER;
  }
  return n;
});

const PAGE = 4096;
const aligned = (what: string) =>
  addrSchema.refine((n) => n % PAGE === 0, { message: `${what} must be page-aligned (a multiple of 4096)` });
const length = aligned('length').refine((n) => n > 0 && n <= LIMITS.length, { message: `length must be from 4096 to ${LIMITS.length} bytes` });

const name = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"');
const prot = z.enum(['none', 'r', 'rw', 'rx', 'rwx']);
const state = z.enum(['running', 'sleeping']);

const threadSpec = z.strictObject({ name, cpu: z.number().int().min(0), state: state.default('running') });

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s)$/;
const NS_PER: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
/** the longest `wait` (one hour: a scenario's clock, not a benchmark) */
const MAX_WAIT_NS = 3600e9;

/** A duration with its unit, `1s`, `250ms`, `20us`, `500ns`, as whole nanoseconds. */
export const durationSchema = z.union([z.string(), z.number()], { error: (is) => `expected a duration such as 1s, 250ms, 20us or 500ns, got ${typeName(is.input)}` }).transform((v, ctx) => {
  const m = typeof v === 'string' ? DURATION_RE.exec(v.trim()) : null;
  if (!m) {
    ctx.addIssue({ code: 'custom', message: typeof v === 'number' ? `${v} has no unit: write e.g. 1s, 250ms, 20us or 500ns` : `"${v}" is not a duration (write e.g. 1s, 250ms, 20us or 500ns)` });
    return z.NEVER;
  }
  const ns = Number(m[1]) * NS_PER[m[2]];
  if (!Number.isInteger(ns) || ns < 1 || ns > MAX_WAIT_NS) {
    ctx.addIssue({ code: 'custom', message: `${v} must be a whole number of nanoseconds from 1ns to 3600s` });
    return z.NEVER;
  }
  return ns;
});

export const opSchemas = {
  mmap: z.strictObject({
    process: name,
    addr: aligned('addr').optional(),
    length,
    prot: prot.default('rw'),
    shared: z.boolean().default(false),
    file: name.optional(),
    /** offset into the file in bytes */
    offset: aligned('offset').default(0),
    hugetlb: z.boolean().default(false),
    hugeSize: addrSchema.optional(),
    pfnmap: z.boolean().default(false),
    locked: z.boolean().default(false),
    name: name.optional(),
  }),
  touch: z.strictObject({
    thread: name,
    addr: aligned('addr'),
    pages: z.number().int().min(1).max(LIMITS.touchPages).default(1),
    /** bytes between touched pages (default: one page) */
    stride: aligned('stride').optional(),
    write: z.boolean().default(true),
    thp: z.boolean().default(false),
    order: z.number().int().min(0).max(9).default(0),
  }),
  munmap: z.strictObject({ thread: name, addr: aligned('addr'), length: addrSchema }),
  madvise: z.strictObject({ thread: name, addr: aligned('addr'), length: addrSchema, advice: z.enum(['dontneed', 'dontneed_locked', 'free']) }),
  mprotect: z.strictObject({ thread: name, addr: aligned('addr'), length: addrSchema, prot }),
  mremap: z.strictObject({ thread: name, addr: aligned('addr'), oldLength: length, newLength: length, mayMove: z.boolean().default(true) }),
  fork: z.strictObject({ thread: name, child: name, childThread: threadSpec }),
  exit: z.strictObject({ thread: name }),
  exit_process: z.strictObject({ process: name }),
  sleep: z.strictObject({ thread: name }),
  run: z.strictObject({ thread: name, cpu: z.number().int().min(0) }),
  spawn: z.strictObject({ process: name, thread: threadSpec }),
  reclaim: z.strictObject({ cpu: z.number().int().min(0), file: name, pages: z.union([z.literal('all'), z.array(z.number().int().min(0))]).default('all') }),
  gup_fast_begin: z.strictObject({ cpu: z.number().int().min(0), process: name, addr: aligned('addr') }),
  gup_fast_end: z.strictObject({ cpu: z.number().int().min(0) }),
  /** let time pass (`- wait: 1s`): the clock moves, the CPUs stay as they are, RCU may progress */
  wait: durationSchema,
} as const;

export type OpName = keyof typeof opSchemas;
export const OP_NAMES = Object.keys(opSchemas) as OpName[];
export type Op = { [K in OpName]: { op: K; args: z.output<(typeof opSchemas)[K]> } }[OpName];

/** One op: an object with exactly one key naming the operation. */
const opSchema = z.unknown().transform((v, ctx): Op => {
  // not z.record: it refuses an object with an own `constructor` key as "not a record"
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `an op is an object with exactly one key (one of ${OP_NAMES.join(', ')}), got ${typeName(v)}` });
    return z.NEVER;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `an op is an object with exactly one key (one of ${OP_NAMES.join(', ')}), got ${keys.length ? keys.join(', ') : 'none'}` });
    return z.NEVER;
  }
  const k = keys[0];
  // own keys only: `toString` or `__proto__` are not ops (`in` would find Object's methods)
  if (!Object.hasOwn(opSchemas, k)) {
    ctx.addIssue({ code: 'custom', message: `unknown op "${k}"${didYouMean(k, OP_NAMES)}; valid ops: ${OP_NAMES.join(', ')}`, path: [k] });
    return z.NEVER;
  }
  const r = opSchemas[k as OpName].safeParse(o[k]);
  if (!r.success) {
    for (const is of orderIssues(r.error.issues)) ctx.addIssue({ code: 'custom', message: issueMessage(is, o[k]), path: [k, ...is.path] });
    return z.NEVER;
  }
  return { op: k, args: r.data } as Op;
});

export const scenarioSchema = z.strictObject({
  // the JSON Schema an editor validates the file with (apps/cli/schema/scenario.schema.json): for editors only
  $schema: z.string().optional(),
  name: z.string().default('scenario'),
  description: z.string().optional(),
  machine: z.strictObject({
    cpus: z.number().int().min(1).max(LIMITS.cpus).default(2),
    // once accepted, but no model path makes a random choice: refused, so no field does nothing
    seed: z.unknown().optional().refine((v) => v === undefined, 'has no effect (the model makes no random choice): remove it'),
    // cost-figure overrides for estimatedNs, as on the command line: ["x86:ipiSend=1500,INVLPG=120"]
    cost: z.array(z.string().max(1000)).max(64).optional(),
    // the kernel release modelled (`6.1`, `6.18.44`) and feature changes on it (`+ID`, `-ID`)
    // a string: YAML reads 6.10 as the number 6.1
    kernel: z.unknown().optional().transform((v, ctx): string | undefined => {
      if (v === undefined || typeof v === 'string') return v;
      ctx.addIssue({ code: 'custom', message: typeof v === 'number' ? `write the release in quotes ('${v}'): as a number 6.10 would read as 6.1` : `expected a release such as '6.1' or '6.18.44', got ${typeName(v)}` });
      return z.NEVER;
    }),
    features: z.array(z.string().max(100)).max(64).optional(),
  }).superRefine((mc, ctx) => {
    if (mc.kernel === undefined && !mc.features?.length) return;
    try {
      resolveKernel(mc.kernel, mc.features ?? []);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message, path: [/feature/.test(e.message) ? 'features' : 'kernel'] });
    }
  }).transform(({ cpus, cost, kernel, features }) => ({
    cpus, ...(cost ? { cost } : {}), ...(kernel !== undefined ? { kernel } : {}), ...(features?.length ? { features } : {}),
  })).default({ cpus: 2 }),
  files: z.array(z.strictObject({ name })).default([]),
  processes: z.array(z.strictObject({ name, threads: z.array(threadSpec).default([]) })).min(1),
  ops: z.array(opSchema).max(LIMITS.ops),
});
export type Scenario = z.output<typeof scenarioSchema>;

/** What a value is, in words for an error message: `null`, `an array`, `a string`... */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'undefined' ? 'nothing' : `a ${typeof v} (${JSON.stringify(v)})`;
}

/** Unknown fields first: a misspelt field usually also makes a required one missing. */
export function orderIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return [...issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
}

/** One issue in words: unknown fields by name, a missing field as missing (`raw` is the input). */
export function issueMessage(is: z.core.$ZodIssue, raw: unknown): string {
  if (is.code === 'unrecognized_keys') return `unknown field${is.keys.length > 1 ? 's' : ''} ${is.keys.map((k) => `"${k}"`).join(', ')}`;
  let v: unknown = raw;
  for (const p of is.path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  if (v === undefined && is.path.length) return 'missing field';
  // zod says "expected number, received number" for Infinity and NaN
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} is not a finite number`;
  if (is.code === 'invalid_type') return `expected ${is.expected === 'object' ? 'an object' : is.expected === 'array' ? 'a list' : `a ${is.expected}`}, got ${typeName(v)}`;
  return is.message;
}

/** The valid name closest to `s` within edit distance 2 (case-insensitive), if any. */
export function closestName(s: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const v of valid) {
    const d = editDistance(s.toLowerCase(), v.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return best;
}

/** " (did you mean x?)" for the closest valid name within edit distance 2. */
export function didYouMean(s: string, valid: readonly string[]): string {
  const best = closestName(s, valid);
  return best ? ` (did you mean "${best}"?)` : '';
}

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
