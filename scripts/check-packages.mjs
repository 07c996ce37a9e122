// Packages that install alone: for each publishable package, pack it, lint the tarball (publint,
// @arethetypeswrong/cli), install it with its @tlbsim dependencies into an empty temporary project,
// and import it from ESM and CommonJS with types resolving (tsc, node16 resolution).
// Usage: node scripts/check-packages.mjs [package-dir...]   (default: every package)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pnpm = ['-y', 'pnpm@10.34.0'];
const bin = (n) => join(root, 'node_modules', '.bin', n);
const run = (cmd, args, cwd, quiet = true) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });

const dirs = process.argv.slice(2).length
  ? process.argv.slice(2).map((d) => resolve(d))
  : [...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)), join(root, 'apps', 'cli')].filter((d) => existsSync(join(d, 'package.json')));

const out = mkdtempSync(join(tmpdir(), 'tlbsim-pack-'));
const tarballs = new Map();
for (const d of dirs) {
  const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const r = run('npx', [...pnpm, 'pack', '--pack-destination', out], d).trim().split('\n').pop();
  tarballs.set(pkg.name, { dir: d, tgz: r, pkg });
}
let failed = 0;
for (const [name, { dir, tgz, pkg }] of tarballs) {
  const step = (what, fn) => {
    try {
      fn();
      console.log(`ok   ${name}: ${what}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${what}\n${(e.stdout ?? '') + (e.stderr ?? e.message)}`);
    }
  };
  step('publint --strict', () => run(bin('publint'), ['run', dir, '--strict', '--pack', 'npm']));
  step('attw (types for ESM and CJS)', () => run(bin('attw'), [tgz, '--profile', 'node16', '--format', 'table-flipped', ...(pkg.bin ? ['--entrypoints', '.'] : [])]));
  const proj = mkdtempSync(join(tmpdir(), 'tlbsim-install-'));
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'probe', private: true, type: 'module' }));
  const deps = [tgz, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter((n) => tarballs.has(n)).map((n) => tarballs.get(n).tgz)];
  // @tlbsim dependencies of dependencies
  for (const n of [...tarballs.keys()]) if (n === '@tlbsim/core' && !deps.includes(tarballs.get(n).tgz)) deps.push(tarballs.get(n).tgz);
  step('npm install of the tarball in an empty project', () => run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...deps], proj));
  if (pkg.bin) {
    step('bin runs', () => run('npx', ['--no-install', Object.keys(pkg.bin)[0], '--help'], proj));
    continue;
  }
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json' && !k.includes('conformance'));
  const spec = (k) => (k === '.' ? name : `${name}/${k.slice(2)}`);
  step('import from ESM', () => run('node', ['--input-type=module', '-e', subpaths.map((k) => `const m${subpaths.indexOf(k)} = await import('${spec(k)}'); if (!Object.keys(m${subpaths.indexOf(k)}).length) throw new Error('empty');`).join('\n')], proj));
  step('require from CommonJS', () => run('node', ['--input-type=commonjs', '-e', subpaths.map((k) => `if (!Object.keys(require('${spec(k)}')).length) throw new Error('empty');`).join('\n')], proj));
  writeFileSync(join(proj, 'probe.mts'), subpaths.map((k, i) => `import * as m${i} from '${spec(k)}';\nexport const k${i}: string[] = Object.keys(m${i});`).join('\n'));
  writeFileSync(join(proj, 'probe.cts'), subpaths.map((k, i) => `import m${i} = require('${spec(k)}');\nexport const k${i}: string[] = Object.keys(m${i});`).join('\n'));
  step('types resolve (tsc, module node16)', () => run(bin('tsc'), ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'false', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), 'probe.mts', 'probe.cts'], proj));
}
console.log(failed ? `${failed} package checks failed` : `all ${tarballs.size} packages install alone`);
process.exit(failed ? 1 : 0);
