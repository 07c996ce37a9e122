/**
 * The kernel axis of the command line: `--kernel LIST` (one release, or a comma list that makes one
 * column per architecture and release), `--feature +ID/-ID` (repeatable), a scenario's
 * `machine.kernel` / `machine.features`, and `sweep --vary kernel=...`. Releases and features are
 * core's (`parseRelease`, `resolveKernel`); this module only turns them into columns.
 */
import { KernelError, formatRelease, kernelFeatures, parseRelease, resolveKernel, type KernelSpec } from '@tlbsim/core';
import { list, str, type Values } from './args.js';
import { makeBackend, type ArchVariant } from './arches.js';
import type { Job } from './engine.js';
import { UsageError } from './errors.js';

/** `6.1,6.18.44` -> normalised releases, in the order given; a mistake names the value. */
export function parseKernelList(opt: string, text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    if (part === '') throw new UsageError(`${opt} ${text}: empty release in the list`);
    let r: string;
    try {
      r = formatRelease(parseRelease(part));
    } catch (e) {
      if (e instanceof KernelError) throw new UsageError(`${opt} ${part}: ${e.message}`);
      throw e;
    }
    if (out.includes(r)) throw new UsageError(`${opt} ${text}: ${r} is given twice`);
    out.push(r);
  }
  return out;
}

/** The --feature changes, each checked against the declared features. */
export function parseFeatures(given: readonly string[], where = '--feature'): string[] {
  for (const c of given) {
    try {
      resolveKernel(undefined, [c]);
    } catch (e) {
      if (e instanceof KernelError) throw new UsageError(`${where} ${c}: ${e.message}`);
      throw e;
    }
  }
  return [...given];
}

/** The machine's kernel of a column: its release (or mainline) with its feature changes. */
export function kernelOf(v: Pick<ArchVariant, 'kernel' | 'features'>): KernelSpec {
  return resolveKernel(v.kernel, v.features ?? []);
}

/**
 * The columns for the kernel options: with no --kernel, the scenario's `machine.kernel` (or
 * mainline) for every column; with one release, the same columns on it; with a list, one column
 * per architecture and release (`x86@6.1`). Each combination is built once now, so one the
 * backend refuses (INVLPGB on 6.14) is bad input before any run.
 */
export function withKernels(variants: readonly ArchVariant[], v: Values, job?: Job): ArchVariant[] {
  const given = str(v, 'kernel');
  const releases = given === undefined ? undefined : parseKernelList('--kernel', given);
  const features = parseFeatures(list(v, 'feature'));
  if (releases === undefined && !features.length) return [...variants];
  const out: ArchVariant[] = [];
  const scenarioKernel = job?.kind === 'scenario' ? job.scenario.machine.kernel : undefined;
  for (const x of variants) {
    for (const r of releases ?? [scenarioKernel]) {
      const col: ArchVariant = { ...x, ...(r !== undefined ? { kernel: r } : {}), ...(features.length ? { features } : {}) };
      if (releases && releases.length > 1) col.id = `${x.id}@${r}`;
      checkCombination(col);
      out.push(col);
    }
  }
  return out;
}

/** A backend built for the column's kernel, or the backend's refusal as bad input. */
function checkCombination(col: ArchVariant): void {
  const b = makeBackend(col);
  try {
    b.withKernel?.(kernelOf(col));
  } catch (e) {
    throw new UsageError(`--arch ${col.id.split('@')[0]} with --kernel ${kernelOf(col).label}: ${(e as Error).message}`);
  }
}

/** Every feature a metric of `arch` may depend on: core's, the backend's and hugetlb's. */
export function featuresFor(arch: string) {
  return kernelFeatures().filter((f) => f.packages.some((p) => p === 'core' || p === 'hugetlb' || p === arch || (arch === 'ppc' && p === 'powerpc')));
}

/** `sweep --vary kernel=6.1,6.6,...`: the releases (each column is checked on each). */
export function kernelPoints(spec: string, variants: readonly ArchVariant[], v: Values): string[] {
  if (str(v, 'kernel') !== undefined) throw new UsageError('--kernel and --vary kernel=... conflict: vary it or fix it');
  const releases = parseKernelList('--vary kernel=', spec);
  for (const r of releases) for (const x of variants) checkCombination(kernelColumn(x, r));
  return releases;
}

/** A column on release `r` (its --feature changes kept). */
export function kernelColumn(x: ArchVariant, r: string): ArchVariant {
  return { ...x, kernel: r };
}
