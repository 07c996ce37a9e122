/**
 * Sweeps beyond one machine: `tlbsim sweep --shard K/N` runs the K-th of N interleaved slices of
 * the points (point j belongs to slice j mod N, so every slice gets small and large values alike)
 * and writes a shard file; `tlbsim merge` reads the N shard files back into the sweep's data, from
 * which the unsharded sweep's output is rendered by the same code, byte for byte. Any batch runner
 * (a CI matrix, a Slurm array, a Kubernetes indexed Job) runs the shards; nothing here schedules.
 */
import type { ArchVariant } from './arches.js';
import type { Outcome } from './engine.js';
import { UsageError } from './errors.js';
import { VERSION } from './report-data.js';
import type { SweepData } from './sweep-data.js';
import { findWorkload, type Params, type ParamValue } from './workloads/index.js';

/** The most shards a sweep can be cut into (as many as it may have points). */
export const MAX_SHARDS = 10_000;

export interface Shard {
  /** 1-based: the K of K/N */
  index: number;
  count: number;
}

/** --shard K/N, with 1 <= K <= N. */
export function parseShard(given: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(given);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1 && n <= MAX_SHARDS) || !(k >= 1 && k <= n)) {
    throw new UsageError(`--shard must be K/N with 1 <= K <= N <= ${MAX_SHARDS} (the K-th of N slices, e.g. --shard 2/4), got "${given}"`);
  }
  return { index: k, count: n };
}

/** The indices of the points shard `s` runs: j with j mod N = K-1, in order. */
export function shardIndices(total: number, s: Shard): number[] {
  const r: number[] = [];
  for (let j = s.index - 1; j < total; j += s.count) r.push(j);
  return r;
}

/** What defines a sweep's output: equal in every shard of one sweep. */
export interface SweepSpec {
  workload: string;
  key: string;
  variants: ArchVariant[];
  /** every point of the whole sweep, in order */
  points: { value: ParamValue; params: Params }[];
  includeSetup: boolean;
}

const FORMAT = 'tlbsim-sweep-shard';
/** the file format's version: a merge refuses shards written by another */
const FORMAT_VERSION = 1;

interface ShardFile {
  format: typeof FORMAT;
  formatVersion: number;
  tlbsim: string;
  shard: Shard;
  sweep: SweepSpec;
  /** the results of this shard's points (shardIndices order), one per variant */
  results: { point: number; results: Outcome[] }[];
}

// Results go through JSON, which has no undefined, NaN, Infinity or -0: those are tagged so a
// merge rebuilds exactly the values the unsharded sweep renders.
const TAG = '$tlbsim';
function replacer(this: unknown, _k: string, v: unknown): unknown {
  if (v === undefined) return { [TAG]: 'undefined' };
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [TAG]: 'number', value: Object.is(v, -0) ? '-0' : String(v) };
  if (v instanceof Map || v instanceof Set || typeof v === 'function' || typeof v === 'bigint') throw new Error(`shard file: cannot store a ${typeof v === 'object' ? v.constructor.name : typeof v} in the results`);
  return v;
}
// a reviver returning undefined deletes the key: a marker stands in, replaced afterwards (restore)
const UNDEFINED = Symbol('undefined');
function reviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && TAG in v) {
    const t = v as Record<string, string>;
    if (t[TAG] === 'undefined') return UNDEFINED;
    if (t[TAG] === 'number') return t.value === '-0' ? -0 : Number(t.value);
  }
  return v;
}
function restore(v: unknown): unknown {
  if (v === UNDEFINED) return undefined;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = restore(o[k]);
  }
  return v;
}

/** The shard file of shard `s` of the sweep `spec`, with its points' results. */
export function shardFile(spec: SweepSpec, s: Shard, results: Outcome[][]): string {
  const idx = shardIndices(spec.points.length, s);
  const doc: ShardFile = { format: FORMAT, formatVersion: FORMAT_VERSION, tlbsim: VERSION, shard: s, sweep: spec, results: idx.map((j, i) => ({ point: j, results: results[i] })) };
  return JSON.stringify(doc, replacer) + '\n';
}

/** Read one shard file (`name` for errors). */
export function readShard(name: string, text: string): ShardFile {
  let doc: ShardFile;
  try {
    doc = restore(JSON.parse(text, reviver)) as ShardFile;
  } catch (e) {
    throw new UsageError(`${name}: not a tlbsim sweep shard file (not JSON: ${(e as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || doc.format !== FORMAT) throw new UsageError(`${name}: not a tlbsim sweep shard file (write one with tlbsim sweep ... --shard K/N --out FILE)`);
  if (doc.formatVersion !== FORMAT_VERSION || doc.tlbsim !== VERSION) {
    throw new UsageError(`${name}: written by tlbsim ${doc.tlbsim} (shard format ${doc.formatVersion}); this is tlbsim ${VERSION} (format ${FORMAT_VERSION}): run every shard with the same tlbsim`);
  }
  const s = doc.shard;
  const total = doc.sweep?.points?.length;
  if (!s || !Number.isInteger(s.index) || !Number.isInteger(s.count) || s.index < 1 || s.index > s.count || !Number.isInteger(total) || !Array.isArray(doc.sweep.variants)) throw new UsageError(`${name}: damaged shard file (no valid shard K/N or point list)`);
  const want = shardIndices(total, s);
  const got = Array.isArray(doc.results) ? doc.results.map((r) => r.point) : [];
  if (got.length !== want.length || got.some((j, i) => j !== want[i]) || doc.results.some((r) => !Array.isArray(r.results) || r.results.length !== doc.sweep.variants.length)) {
    throw new UsageError(`${name}: damaged shard file (shard ${s.index}/${s.count} should hold points ${want.join(',') || 'none'})`);
  }
  return doc;
}

/**
 * The sweep the shards make together: every shard of one sweep exactly once, all written from
 * the same sweep (workload, parameter values, variants, --include-setup).
 */
export function mergeShards(files: readonly { name: string; text: string }[]): SweepData {
  if (files.length === 0) throw new UsageError('tlbsim merge needs the shard files: tlbsim merge SHARD... (written by tlbsim sweep ... --shard K/N)');
  const docs = files.map((f) => ({ name: f.name, doc: readShard(f.name, f.text) }));
  const first = docs[0];
  const n = first.doc.shard.count;
  const spec = JSON.stringify(first.doc.sweep);
  const byIndex = new Map<number, string>();
  for (const { name, doc } of docs) {
    if (doc.shard.count !== n) throw new UsageError(`${name} is shard ${doc.shard.index}/${doc.shard.count} but ${first.name} is shard ${first.doc.shard.index}/${n}: merge the shards of one sweep`);
    if (JSON.stringify(doc.sweep) !== spec) throw new UsageError(`${name} and ${first.name} come from different sweeps (workload, --vary, --set, --arch, --cost or --include-setup differ): merge the shards of one sweep`);
    const other = byIndex.get(doc.shard.index);
    if (other !== undefined) throw new UsageError(`${name} and ${other} are both shard ${doc.shard.index}/${n}: give each shard once`);
    byIndex.set(doc.shard.index, name);
  }
  const missing: number[] = [];
  for (let k = 1; k <= n; k++) if (!byIndex.has(k)) missing.push(k);
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} missing: tlbsim merge needs all ${n} shards of the sweep`);
  const sweep = first.doc.sweep;
  const results: Outcome[][] = new Array(sweep.points.length);
  for (const { doc } of docs) for (const r of doc.results) results[r.point] = r.results;
  return {
    workload: findWorkload(sweep.workload),
    key: sweep.key,
    variants: sweep.variants,
    points: sweep.points.map((p, j) => ({ ...p, results: results[j] })),
  };
}
