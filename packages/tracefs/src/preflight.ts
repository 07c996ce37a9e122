/**
 * Can this process record with tracefs? Each refusal is one line naming what is missing.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

export interface PreflightOptions {
  /** `subsystem/event` names that must exist */
  events: readonly string[];
  /** refuse on any other architecture (process.arch names: `x64`, `arm64`) */
  arch?: string;
  /** mount tracefs at /sys/kernel/tracing when nothing is mounted (needs root); default true */
  mount?: boolean;
  /** for tests: /proc/mounts text, uid, CapEff, platform, arch */
  probe?: Partial<Probe>;
}

export interface Probe {
  platform: string;
  arch: string;
  uid: number;
  /** CapEff of /proc/self/status as a bigint */
  capEff: bigint;
  mounts: string;
}

export interface PreflightResult {
  /** where tracefs is mounted */
  root: string;
  /** true when this call mounted it */
  mounted: boolean;
}

const CAP_DAC_OVERRIDE = 1n;
const CAP_SYS_ADMIN = 21n;

function capEff(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

function readProbe(p: Partial<Probe> = {}): Probe {
  return {
    platform: p.platform ?? process.platform,
    arch: p.arch ?? process.arch,
    uid: p.uid ?? (process.getuid ? process.getuid() : -1),
    capEff: p.capEff ?? (process.platform === 'linux' ? capEff() : 0n),
    mounts: p.mounts ?? (process.platform === 'linux' ? safeRead('/proc/mounts') : ''),
  };
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/** The tracefs mount point from /proc/mounts text (tracefs itself, or debugfs/tracing). */
export function findTracefs(mounts: string): string | undefined {
  let viaDebugfs: string | undefined;
  for (const l of mounts.split('\n')) {
    const [, dir, type] = l.split(' ');
    if (type === 'tracefs') return dir.replace(/\\040/g, ' ');
    if (type === 'debugfs' && !viaDebugfs) viaDebugfs = join(dir, 'tracing');
  }
  return viaDebugfs && existsSync(join(viaDebugfs, 'trace')) ? viaDebugfs : undefined;
}

const hasCap = (caps: bigint, cap: bigint) => (caps >> cap) & 1n;

/** The privilege checks alone (pure): undefined when allowed, else the refusal. */
export function privilegeProblem(p: Probe): string | undefined {
  if (p.uid === 0) return undefined;
  if (hasCap(p.capEff, CAP_SYS_ADMIN) && hasCap(p.capEff, CAP_DAC_OVERRIDE)) return undefined;
  return 'not root (tracefs files are root-only: run as root, or with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE)';
}

function mountTracefs(dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn('mount', ['-t', 'tracefs', 'nodev', dir], { stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('exit', (code) => resolve(code === 0));
  });
}

/**
 * Check platform, architecture, privilege, tracefs (mounting it when allowed) and the
 * tracepoints. Throws PreflightError with one line naming what is missing.
 */
export async function preflight(o: PreflightOptions): Promise<PreflightResult> {
  const p = readProbe(o.probe);
  if (p.platform !== 'linux') throw new PreflightError(`not Linux (this is ${p.platform}): tracefs exists only on Linux`);
  if (o.arch && p.arch !== o.arch) throw new PreflightError(`not ${o.arch === 'x64' ? 'x86-64' : o.arch} (this machine is ${p.arch})`);
  let root = findTracefs(p.mounts);
  let mounted = false;
  const priv = privilegeProblem(p);
  if (!root) {
    if (priv || o.mount === false) throw new PreflightError(`no tracefs mounted at /sys/kernel/tracing and no permission to mount it (${priv ?? 'mounting disabled'})`);
    const dir = '/sys/kernel/tracing';
    if (!existsSync(dir) || !(await mountTracefs(dir))) throw new PreflightError(`no tracefs mounted and mounting it at ${dir} failed (kernel without CONFIG_TRACING?)`);
    root = dir;
    mounted = true;
  }
  if (priv) throw new PreflightError(priv);
  try {
    accessSync(join(root, 'trace_marker'), constants.W_OK);
  } catch {
    throw new PreflightError(`cannot write ${join(root, 'trace_marker')} (lacking the needed permission?)`);
  }
  const missing = o.events.filter((e) => !existsSync(join(root!, 'events', e, 'enable')));
  if (missing.length) throw new PreflightError(`tracepoint${missing.length > 1 ? 's' : ''} absent: ${missing.join(', ')} (not in ${join(root, 'events')})`);
  return { root, mounted };
}
