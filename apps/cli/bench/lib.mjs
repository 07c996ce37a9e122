// Shared by the figures: compiling a C helper of bench/native/ and CPU time.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = fileURLToPath(new URL('./native/', import.meta.url));

/** Compile bench/native/NAME.c with the first C compiler found; { bin } or { reason }. */
export function compile(name, libs = []) {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('which', [c]).status === 0);
  if (!cc) return { reason: 'no C compiler on this machine' };
  const bin = join(mkdtempSync(join(tmpdir(), 'tlbsim-bench-')), name);
  try {
    execFileSync(cc, ['-O2', '-o', bin, join(native, `${name}.c`), ...libs], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return { reason: `${cc} failed: ${String(e.stderr ?? e.message).split('\n')[0]}` };
  }
  return { bin };
}

/** Run a compiled helper; its stdout's numbers. */
export function runNative(bin, args) {
  return execFileSync(bin, args.map(String), { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
}

/** CPU time of this process (user + system) in ms since `from` (a process.cpuUsage()). */
export const cpuMsSince = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
