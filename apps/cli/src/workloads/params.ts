import { didYouMean, type Machine } from '@tlbsim/core';
import { UsageError } from '../errors.js';

export type ParamValue = number | boolean | string;
export type Params = Record<string, ParamValue>;

export interface ParamSpec {
  name: string;
  description: string;
  type: 'int' | 'bool' | 'enum';
  /** a value, or derived from the other parameters (e.g. `threads` defaults to `cpus`) */
  default: ParamValue | ((p: Params) => ParamValue);
  /** how `tlbsim workloads` shows a derived default */
  defaultText?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Workload-specific statistics reported next to the metrics: `{ hugetlb: { tablesShared: 2, ... } }`. */
export type Extra = Record<string, Record<string, number | boolean | string>>;

/** What a workload does to a machine; `p` holds every parameter, resolved and checked. */
export interface Workload {
  name: string;
  summary: string;
  /** longer text for `tlbsim workloads` (layout, page size notes) */
  details?: string;
  params: readonly ParamSpec[];
  /** relations between parameters (threads <= cpus ...): throw UsageError */
  check?(p: Params): void;
  run(m: Machine, p: Params): Extra | void;
}

/** Hard limits: documented in `tlbsim workloads` and refused with exit 2 beyond them. */
export const WLIMITS = {
  cpus: 1024,
  iterations: 100_000,
  pages: 1 << 20,
} as const;

export const COMMON: readonly ParamSpec[] = [
  { name: 'cpus', type: 'int', default: 2, min: 1, max: WLIMITS.cpus, description: 'CPUs in the machine' },
  { name: 'iterations', type: 'int', default: 1, min: 1, max: WLIMITS.iterations, description: 'how many times the workload repeats' },
];

function parseValue(w: string, s: ParamSpec, raw: string): ParamValue {
  const r = raw.trim();
  if (s.type === 'bool') {
    if (['true', 'on', 'yes', '1'].includes(r.toLowerCase())) return true;
    if (['false', 'off', 'no', '0'].includes(r.toLowerCase())) return false;
    throw new UsageError(`${w}: ${s.name} is true or false, got "${raw}"`);
  }
  if (s.type === 'enum') {
    const c = s.choices!.find((x) => x.toLowerCase() === r.toLowerCase());
    if (c === undefined) throw new UsageError(`${w}: ${s.name} cannot be "${raw}"${didYouMean(r, s.choices!)}; valid values: ${s.choices!.join(', ')}`);
    return c;
  }
  const n = /^(0x[0-9a-f]+|-?\d+)$/i.test(r) ? Number(r) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${w}: ${s.name} must be an integer${range(s)}, got "${raw}"`);
  return n;
}

function range(s: ParamSpec): string {
  return s.min !== undefined && s.max !== undefined ? ` from ${s.min} to ${s.max}` : '';
}

export function checkParamName(w: Workload, k: string): void {
  const names = w.params.map((s) => s.name);
  if (!names.includes(k)) throw new UsageError(`unknown parameter "${k}" for workload ${w.name}${didYouMean(k, names)}; valid parameters: ${names.join(', ')}`);
}

/** The parameters of `w`: defaults, then `--set KEY=VALUE` pairs, all checked. */
export function resolveParams(w: Workload, sets: readonly string[]): Params {
  const given = new Map<string, string>();
  const names = w.params.map((s) => s.name);
  for (const kv of sets) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${kv}: use KEY=VALUE (parameters of ${w.name}: ${names.join(', ')})`);
    const k = kv.slice(0, eq).trim();
    checkParamName(w, k);
    if (given.has(k)) throw new UsageError(`--set ${k}= is given twice ("${given.get(k)}" and "${kv.slice(eq + 1)}"): give it once`);
    given.set(k, kv.slice(eq + 1));
  }
  const p: Params = {};
  // plain defaults and given values first, derived defaults after (they may read the others)
  for (const s of w.params) {
    const raw = given.get(s.name);
    if (raw !== undefined) p[s.name] = parseValue(w.name, s, raw);
    else if (typeof s.default !== 'function') p[s.name] = s.default;
  }
  for (const s of w.params) if (p[s.name] === undefined) p[s.name] = (s.default as (p: Params) => ParamValue)(p);
  for (const s of w.params) {
    const v = p[s.name];
    if (s.type === 'int' && ((s.min !== undefined && (v as number) < s.min) || (s.max !== undefined && (v as number) > s.max))) {
      throw new UsageError(`${w.name}: ${s.name}=${v} is out of range: ${s.name} must be from ${s.min} to ${s.max}`);
    }
  }
  w.check?.(p);
  // a stable key order: the spec's
  const out: Params = {};
  for (const s of w.params) out[s.name] = p[s.name];
  return out;
}

export function defaultText(s: ParamSpec): string {
  if (s.defaultText) return s.defaultText;
  return typeof s.default === 'function' ? '(derived)' : String(s.default);
}
