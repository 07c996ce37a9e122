/**
 * Every command's options are defined once (src/options.ts) and its help generated from one table
 * (src/help.ts): the help lists exactly what the parser accepts, no paragraph is written twice,
 * and docs/cli.md is the generated text. In-process runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tlbsimIn } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const COMMANDS = ['compare', 'run', 'check', 'sweep', 'workloads', 'arches', 'metrics', 'new-arch', 'replay', 'measure', 'kernels', 'record', 'merge'];

/** The long options a --help lists under Options:. */
function listed(help: string): string[] {
  const section = help.split('\nOptions:\n')[1].split('\n\n')[0];
  return [...section.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => `--${m[1]}`);
}

/** The options the parser accepts, as its unknown-option error lists them. */
async function accepted(cmd: string): Promise<string[]> {
  const r = await tlbsimIn([cmd, '--no-such-option']);
  return /valid options: (.*)$/.exec(r.stderr.trim())![1].split(', ');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : []));
}

describe('one table of options and commands', () => {
  it('the main help lists every command, each with its own help; --color and --help are every command\'s', async () => {
    const main = (await tlbsimIn(['--help'])).stdout;
    expect([...main.split('\nCommands:\n')[1].split('\n\n')[0].matchAll(/^ {2}([\w-]+) /gm)].map((m) => m[1])).toEqual(COMMANDS);
    expect(main).toContain(
      'Options of every command:\n      --color WHEN       auto (default: on a terminal without NO_COLOR or TERM=dumb, or with FORCE_COLOR), always or\n' +
        '                         never\n  -h, --help             this help\n',
    );
    for (const c of COMMANDS) expect((await tlbsimIn(['help', c])).stdout).toMatch(new RegExp(`^Usage: tlbsim ${c} `));
  });
  for (const c of COMMANDS) {
    it(`tlbsim ${c} --help lists exactly the options it accepts`, async () => {
      const help = (await tlbsimIn([c, '--help'])).stdout;
      expect([...listed(help), '--color', '--help']).toEqual(await accepted(c));
    });
  }
  it('the --arch paragraph is written once and shown by every command that takes --arch', async () => {
    const all = sources(SRC).join('\n');
    expect(all.split('(tlbsim arches lists every option)').length - 1).toBe(1);
    expect(all.split('(tlbsim arches ARCH --costs lists every figure and its source)').length - 1).toBe(1);
    for (const c of ['compare', 'run', 'check', 'sweep', 'replay']) {
      expect((await tlbsimIn([c, '--help'])).stdout).toContain(
        '  -a, --arch SPEC        architecture variant, repeatable: x86, arm64, ppc, riscv, generic, all\n' +
          '                         (default: all = x86, arm64, ppc, riscv), with options NAME:key=value,key=value\n' +
          '                         e.g. --arch x86:invlpgb=on --arch arm64:granule=64k,tlbiRange=on\n' +
          '                         (tlbsim arches lists every option)\n',
      );
    }
  });
  it('docs/cli.md is tlbsim help --format markdown', async () => {
    const r = await tlbsimIn(['help', '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(ROOT, 'docs/cli.md'), 'utf8'), 'docs/cli.md is stale: node apps/cli/dist/cli.js help --format markdown > docs/cli.md').toBe(r.stdout);
    expect(r.stdout).toContain('## tlbsim replay\n\n```text\nUsage: tlbsim replay FILE...');
  });
});

describe('the same knob, the same name (issue 16, point 5)', () => {
  it('x86 and powerpc both call tlb_single_page_flush_ceiling "ceiling"; powerpc\'s old names stay accepted', async () => {
    const doc = JSON.parse((await tlbsimIn(['arches', '--format', 'json'])).stdout) as { name: string; options: { name: string }[] }[];
    const names = (a: string) => doc.find((x) => x.name === a)!.options.map((o) => o.name);
    expect(names('x86')).toContain('ceiling');
    expect(names('ppc')).toEqual(expect.arrayContaining(['ceiling', 'localCeiling']));
    expect(names('ppc')).not.toContain('tlbSinglePageFlushCeiling');
    const label = async (spec: string) => JSON.parse((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', spec, '--format', 'json'])).stdout).results[0].label as string;
    expect(await label('ppc:ceiling=10,localCeiling=20')).toBe('powerpc book3s64 radix (POWER10, 64K pages, tlbie, ceilings 10/20, v7.1)');
    expect(await label('ppc:tlbSinglePageFlushCeiling=10,tlbLocalSinglePageFlushCeiling=20')).toBe('powerpc book3s64 radix (POWER10, 64K pages, tlbie, ceilings 10/20, v7.1)');
  });
  it('markdown aligns text left and numbers right', async () => {
    const md = (await tlbsimIn(['arches', 'x86', '--format', 'markdown'])).stdout;
    expect(md).toContain('| option | default | values | description |\n| --- | --- | --- | --- |\n');
    const costs = (await tlbsimIn(['arches', 'x86', '--costs', '--format', 'markdown'])).stdout;
    expect(costs).toContain('| figure | ns | prices | source |\n| --- | ---: | --- | --- |\n');
  });
});
