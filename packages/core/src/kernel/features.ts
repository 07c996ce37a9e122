/**
 * Kernel features: each one behaviour change the kernel made (one commit, or one series named by
 * its main commit), with the mainline release that first carried it and the stable releases it was
 * backported to where that matters. A package declares the features its model reads; a
 * {@link KernelSpec} says which a modelled kernel has: those its release carries, plus `+ID`, minus
 * `-ID` (a backport, a revert). `tlbsim kernels` and docs/kernels.md list the whole table.
 */
import { KernelError, compareRelease, formatRelease, parseRelease, releaseAtLeast, seriesOf, type Release } from './release.js';

export interface KernelFeature {
  /** the commit id, 10 or 12 hex digits: `8ce720d5bd` */
  readonly id: string;
  /** a short name, also accepted by `--feature`: `hugetlb-unshare-batched` */
  readonly name: string;
  /** what the change does to TLB flushing or page-table lifetime, one line */
  readonly title: string;
  /** the first mainline release carrying it */
  readonly mainline: string;
  /** stable series -> first patch level carrying the backport (`{ '6.18': 13 }`) */
  readonly backports?: Readonly<Record<string, number>>;
  /** the packages whose model it changes: `core`, `x86`, `arm64`, `ppc`, `riscv`, `hugetlb` */
  readonly packages: readonly string[];
}

const registry = new Map<string, KernelFeature>();

/**
 * Declare a package's features (at module load, like defineArch). Ids and names are unique over
 * all packages; the same object declared twice (a module loaded twice) is accepted.
 */
export function defineKernelFeatures<const T extends readonly KernelFeature[]>(features: T): T {
  for (const f of features) {
    if (!/^[0-9a-f]{10,12}$/.test(f.id)) throw new Error(`kernel feature ${f.name}: id '${f.id}' is not a 10-12 digit commit id`);
    if (!/^\d+\.\d+$/.test(f.mainline)) throw new Error(`kernel feature ${f.name}: mainline '${f.mainline}' is not a release like 6.15`);
    for (const key of [f.id, f.name]) {
      const old = registry.get(key);
      if (old && old.id !== f.id) throw new Error(`kernel feature ${key} declared twice (${old.id}, ${f.id})`);
      registry.set(key, f);
    }
  }
  return features;
}

/** Every declared feature, oldest mainline release first, then by id. */
export function kernelFeatures(): KernelFeature[] {
  const seen = new Set<KernelFeature>(registry.values());
  return [...seen].sort((a, b) => compareRelease(loose(a.mainline), loose(b.mainline)) || a.id.localeCompare(b.id));
}

/** the feature named by an id (or a prefix of 8+ digits) or a name */
export function findKernelFeature(key: string): KernelFeature | undefined {
  const k = key.toLowerCase();
  const direct = registry.get(k);
  if (direct) return direct;
  if (/^[0-9a-f]{8,}$/.test(k)) return kernelFeatures().find((f) => f.id.startsWith(k) || k.startsWith(f.id));
  return undefined;
}

/** whether release `r` carries feature `f` by its mainline release or a stable backport */
export function releaseCarries(r: Release, f: KernelFeature): boolean {
  if (releaseAtLeast(r, f.mainline)) return true;
  const from = f.backports?.[seriesOf(r)];
  return from !== undefined && r.patch >= from;
}

/** The kernel a machine models: a release and the features added to or removed from it. */
export interface KernelSpec {
  readonly release: Release;
  /** `6.18.44`, `6.1 +8ce720d5bd` */
  readonly label: string;
  /** the `+ID`/`-ID` changes as given, normalised to feature ids */
  readonly changes: readonly string[];
  has(f: KernelFeature): boolean;
}

/**
 * Resolve `--kernel` and `--feature`: the release (default: mainline) and each change `+ID` or
 * `-ID` (id, id prefix or name of a declared feature). Throws KernelError naming what is wrong.
 */
export function resolveKernel(release?: string, changes: readonly string[] = []): KernelSpec {
  const r = parseRelease(release ?? 'mainline');
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const c of changes) {
    const sign = c[0];
    const f = sign === '+' || sign === '-' ? findKernelFeature(c.slice(1)) : undefined;
    if (sign !== '+' && sign !== '-') throw new KernelError(`feature change '${c}' must start with + (add) or - (remove)`);
    if (!f) throw new KernelError(`unknown kernel feature '${c.slice(1)}' (tlbsim kernels lists them)`);
    (sign === '+' ? add : remove).add(f.id);
    (sign === '+' ? remove : add).delete(f.id);
  }
  const norm = [...[...add].map((id) => `+${id}`), ...[...remove].map((id) => `-${id}`)].sort();
  return {
    release: r,
    label: [formatRelease(r), ...norm].join(' '),
    changes: norm,
    has: (f) => add.has(f.id) || (!remove.has(f.id) && releaseCarries(r, f)),
  };
}

/** the mainline kernel with no changes: what a machine models unless told otherwise */
export const MAINLINE: KernelSpec = resolveKernel();

function loose(text: string): Release {
  const [a, b] = text.split('.').map(Number);
  return { major: a!, minor: b!, patch: 0 };
}
