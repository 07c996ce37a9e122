import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse, str } from '../args.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { writeAtomic } from '../io.js';
import { changesetFile, scaffoldFiles } from '../scaffold/templates.js';

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** names core or the CLI already use for something else */
const RESERVED = ['generic', 'all', 'core'];

/** The workspace root: the nearest directory above `from` holding pnpm-workspace.yaml. */
function workspaceRoot(from: string): string | null {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'pnpm-workspace.yaml'))) return d;
    if (dirname(d) === d) return null;
  }
}

/**
 * `tlbsim new-arch NAME`: scaffold packages/arch-NAME (package.json, tsup config, the backend factory
 * with the contract's hooks documented in place, a conformance test, a README) and a changeset,
 * and add the package to the changesets `fixed` group. All files appear at once or not at all.
 */
export function newArch(argv: string[]): number {
  const { values, positionals } = parse('new-arch', argv);
  if (values.help) {
    process.stdout.write(commandHelp('new-arch'));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('new-arch takes one NAME, e.g. "tlbsim new-arch loongarch" (tlbsim new-arch --help)');
  const name = positionals[0];
  if (!NAME_RE.test(name)) throw new UsageError(`"${name}" is not a valid architecture name: use lowercase letters and digits, words joined by "-" (e.g. loongarch, s390)`);
  if (RESERVED.includes(name)) throw new UsageError(`"${name}" is reserved; choose another architecture name`);
  const root = str(values, 'dir') ? resolve(str(values, 'dir')!) : workspaceRoot(process.cwd());
  if (!root || !existsSync(join(root, 'pnpm-workspace.yaml'))) {
    throw new UsageError(`no tlbsim workspace found (no pnpm-workspace.yaml ${str(values, 'dir') ? `in ${str(values, 'dir')}` : 'above the current directory'}); run it from the repository or give --dir`);
  }
  const target = join(root, 'packages', `arch-${name}`);
  if (existsSync(target)) throw new UsageError(`${relative(process.cwd(), target) || target} already exists`);
  const corePkg = join(root, 'packages', 'core', 'package.json');
  const version = existsSync(corePkg) ? (JSON.parse(readFileSync(corePkg, 'utf8')).version as string) : '0.1.0';
  const vars = { name, factory: name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()), version };

  // write everything into a temporary sibling, then rename it into place
  const tmp = join(root, 'packages', `.arch-${name}.${process.pid}.tmp`);
  try {
    for (const [file, text] of Object.entries(scaffoldFiles(vars))) {
      mkdirSync(dirname(join(tmp, file)), { recursive: true });
      writeFileSync(join(tmp, file), text);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UsageError(`cannot create ${target}: ${(e as Error).message}`);
  }
  const written = [`packages/arch-${name}/`];
  const csDir = join(root, '.changeset');
  if (existsSync(csDir)) {
    writeAtomic(join(csDir, `arch-${name}-initial.md`), changesetFile(vars));
    written.push(`.changeset/arch-${name}-initial.md`);
    const cfgFile = join(csDir, 'config.json');
    if (existsSync(cfgFile)) {
      const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as { fixed?: string[][] };
      const group = cfg.fixed?.find((g) => g.includes('@tlbsim/core'));
      if (group && !group.includes(`@tlbsim/arch-${name}`)) {
        group.push(`@tlbsim/arch-${name}`);
        writeAtomic(cfgFile, JSON.stringify(cfg, null, 2) + '\n');
        written.push('.changeset/config.json (fixed group)');
      }
    }
  }
  process.stdout.write(`created ${written.join(', ')}
next:
  npx -y pnpm@10.34.0 install          # link the new package into the workspace
  cd packages/arch-${name} && npx vitest run   # the conformance suite passes with the generic flush
  then specialise src/index.ts hook by hook, golden scenario test first (CONTRIBUTING.md);
  to offer it as --arch ${name}, add it to FACTORIES and ALL_ARCHES in apps/cli/src/arches.ts
`);
  return 0;
}
