/** A throwaway workspace for `tlbsim new-arch` tests: the repository's tsconfig, node_modules and core. */
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(__dirname, '../../..');

/** a workspace root with the repository's tsconfig, node_modules and core package */
export function workspace(): string {
  const d = mkdtempSync(join(tmpdir(), 'tlbsim-newarch-'));
  for (const f of ['tsconfig.base.json', 'pnpm-workspace.yaml']) cpSync(join(repo, f), join(d, f));
  mkdirSync(join(d, 'packages'));
  mkdirSync(join(d, '.changeset'));
  writeFileSync(join(d, '.changeset', 'config.json'), JSON.stringify({ fixed: [['@tlbsim/core', 'tlbsim']] }, null, 2));
  symlinkSync(join(repo, 'node_modules'), join(d, 'node_modules'), 'dir');
  symlinkSync(join(repo, 'packages', 'core'), join(d, 'packages', 'core'), 'dir');
  return d;
}

