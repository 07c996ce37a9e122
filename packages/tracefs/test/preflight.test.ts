import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PreflightError, findTracefs, preflight, privilegeProblem } from '../src/index.js';

const linuxRoot = { platform: 'linux', arch: 'x64', uid: 0, capEff: 0n };

function fakeRoot(events: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'tracefs-pf-'));
  writeFileSync(join(root, 'trace_marker'), '');
  for (const e of events) {
    mkdirSync(join(root, 'events', e), { recursive: true });
    writeFileSync(join(root, 'events', e, 'enable'), '0');
  }
  return root;
}

describe('preflight refuses in one line', () => {
  it('not Linux', async () => {
    await expect(preflight({ events: [], probe: { ...linuxRoot, platform: 'darwin', mounts: '' } })).rejects.toThrow(
      new PreflightError('not Linux (this is darwin): tracefs exists only on Linux'),
    );
  });
  it('not x86-64 when the caller needs it', async () => {
    await expect(preflight({ events: [], arch: 'x64', probe: { ...linuxRoot, arch: 'arm64', mounts: '' } })).rejects.toThrow(
      new PreflightError('not x86-64 (this machine is arm64)'),
    );
  });
  it('no tracefs and no permission to mount it', async () => {
    await expect(preflight({ events: [], probe: { ...linuxRoot, uid: 1000, mounts: 'proc /proc proc rw 0 0\n' } })).rejects.toThrow(
      new PreflightError('no tracefs mounted at /sys/kernel/tracing and no permission to mount it (not root (tracefs files are root-only: run as root, or with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE))'),
    );
  });
  it('not root although tracefs is mounted', async () => {
    const root = fakeRoot([]);
    await expect(preflight({ events: [], probe: { ...linuxRoot, uid: 1000, mounts: `tracefs ${root} tracefs rw 0 0\n` } })).rejects.toThrow(
      new PreflightError('not root (tracefs files are root-only: run as root, or with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE)'),
    );
  });
  it('the tracepoints absent, naming each', async () => {
    const root = fakeRoot(['tlb/tlb_flush']);
    await expect(preflight({ events: ['tlb/tlb_flush', 'csd/csd_function_entry', 'ipi/ipi_send_cpu'], probe: { ...linuxRoot, mounts: `tracefs ${root} tracefs rw 0 0\n` } })).rejects.toThrow(
      new PreflightError(`tracepoints absent: csd/csd_function_entry, ipi/ipi_send_cpu (not in ${join(root, 'events')})`),
    );
  });
  it('passes when everything is there, without mounting', async () => {
    const root = fakeRoot(['tlb/tlb_flush']);
    await expect(preflight({ events: ['tlb/tlb_flush'], arch: 'x64', probe: { ...linuxRoot, mounts: `tracefs ${root} tracefs rw 0 0\n` } })).resolves.toEqual({ root, mounted: false });
  });
});

describe('findTracefs and privilegeProblem', () => {
  it('finds tracefs itself before debugfs/tracing, unescaping spaces', () => {
    expect(findTracefs('debugfs /sys/kernel/debug debugfs rw 0 0\ntracefs /mnt/my\\040trace tracefs rw 0 0\n')).toBe('/mnt/my trace');
    expect(findTracefs('proc /proc proc rw 0 0\n')).toBeUndefined();
  });
  it('accepts root, or CAP_SYS_ADMIN with CAP_DAC_OVERRIDE', () => {
    const p = { ...linuxRoot, uid: 1000, mounts: '' };
    expect(privilegeProblem({ ...p, uid: 0 })).toBeUndefined();
    expect(privilegeProblem({ ...p, capEff: (1n << 21n) | (1n << 1n) })).toBeUndefined();
    expect(privilegeProblem({ ...p, capEff: 1n << 21n })).toMatch(/^not root/);
  });
});
