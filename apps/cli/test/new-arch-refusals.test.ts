/**
 * `tlbsim new-arch`'s refusals, run in this worker (the scaffold's whole-toolchain test is in
 * new-arch.test.ts, in the e2e project): a bad name, an existing package and a missing workspace
 * each exit 2 with one line and leave nothing behind.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlbsimIn } from './helpers.js';
import { workspace } from './new-arch-workspace.js';

const tlbsim = (args: string[], cwd?: string) => tlbsimIn(args, cwd ? { cwd } : {});

describe('tlbsim new-arch', () => {
  it('refuses a bad name, an existing package and a missing workspace, leaving nothing behind', async () => {
    const ws = workspace();
    expect(await tlbsim(['new-arch', 'Bad_Name', '--dir', ws])).toMatchObject({ code: 2, stdout: '' });
    expect((await tlbsim(['new-arch', 'Bad_Name', '--dir', ws])).stderr).toMatch(/^tlbsim: error: "Bad_Name" is not a valid architecture name/);
    expect((await tlbsim(['new-arch', 'generic', '--dir', ws])).stderr).toContain('"generic" is reserved');
    expect((await tlbsim(['new-arch', '--dir', ws])).stderr).toContain('new-arch takes one NAME');
    expect((await tlbsim(['new-arch', 'core', '--dir', ws])).code).toBe(2);
    mkdirSync(join(ws, 'packages', 'arch-taken'));
    expect((await tlbsim(['new-arch', 'taken', '--dir', ws])).stderr).toContain('already exists');
    const empty = mkdtempSync(join(tmpdir(), 'tlbsim-noworkspace-'));
    expect((await tlbsim(['new-arch', 'foo'], empty)).stderr).toContain('no tlbsim workspace found');
    expect(readdirSync(join(ws, 'packages')).sort()).toEqual(['arch-taken', 'core']);
    expect(readdirSync(join(ws, '.changeset'))).toEqual(['config.json']);
  });
});
