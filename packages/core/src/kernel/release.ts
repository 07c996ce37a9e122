/**
 * Linux releases as tlbsim names them: a mainline release (`6.1`, `7.1`) or a stable release of
 * one series (`6.18.44`). One parser serves `--kernel`, `machine.kernel` and every backend's
 * `kernel` option, so `v6.15`, `6.15` and `6.15.0` mean the same release everywhere.
 */

export interface Release {
  readonly major: number;
  readonly minor: number;
  /** the stable patch level; 0 for the mainline release itself */
  readonly patch: number;
}

/**
 * The releases tlbsim models and lists (`tlbsim kernels`): the distribution kernels (6.1 Debian 12,
 * 6.6, 6.8 Ubuntu 24.04, 6.12 Debian 13 / RHEL 10, 6.18) and every mainline release whose TLB or
 * page-table code changed since. Any stable release of a listed series between the oldest and the
 * newest is accepted too (`6.18.44`); its backported features decide what differs from the series.
 */
export const MODELLED_RELEASES = [
  '6.1', '6.6', '6.8', '6.12', '6.13', '6.14', '6.15', '6.16', '6.17', '6.18', '6.19', '7.0', '7.1',
] as const;
export const OLDEST_RELEASE = '6.1';
/** the newest modelled release, what `mainline` and the default mean */
export const MAINLINE_RELEASE = '7.1';

/** A release the user named that tlbsim cannot model (exit 2 on the command line). */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}

const RE = /^v?(\d{1,2})\.(\d{1,2})(?:\.(\d{1,4}))?$/;

/** Parse `6.1`, `v6.15`, `6.18.44` or `mainline`, refusing what is older or newer than modelled. */
export function parseRelease(text: string): Release {
  const t = text.trim();
  const m = RE.exec(t === 'mainline' ? MAINLINE_RELEASE : t);
  if (!m) {
    throw new KernelError(`not a kernel release: '${text}' (expected e.g. 6.1, 6.18.44 or mainline)`);
  }
  const r: Release = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
  if (compareRelease(r, OLDEST) < 0) {
    throw new KernelError(`kernel ${formatRelease(r)} is older than the oldest modelled release, ${OLDEST_RELEASE}`);
  }
  if (compareRelease({ ...r, patch: 0 }, NEWEST) > 0) {
    throw new KernelError(`kernel ${formatRelease(r)} is newer than the newest modelled release, ${MAINLINE_RELEASE}`);
  }
  return r;
}

/** Order two releases: negative when `a` is older. */
export function compareRelease(a: Release, b: Release): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** `6.1`, `6.18.44` */
export function formatRelease(r: Release): string {
  return r.patch ? `${r.major}.${r.minor}.${r.patch}` : `${r.major}.${r.minor}`;
}

/** `6.18` for 6.18.44: the series a stable release belongs to */
export function seriesOf(r: Release): string {
  return `${r.major}.${r.minor}`;
}

function raw(text: string): Release {
  const m = RE.exec(text)!;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}
const OLDEST = raw(OLDEST_RELEASE);
const NEWEST = raw(MAINLINE_RELEASE);

/** `release >= text` (mainline order; a stable release counts as its series) */
export function releaseAtLeast(r: Release, text: string): boolean {
  return compareRelease({ ...r, patch: 0 }, raw(text)) >= 0;
}
