// Helper benchmark (not a figure): what the replay's front end costs per line, apart from the
// simulation. On the largest strace fixture (or BENCH_FILE), in CPU time (user + system):
//   split         the text cut into lines (LineSplitter, 64 KiB chunks, as the CLI reads a file)
//   parse, pass 1 + each line parsed as the first pass (counting threads) parses it: the calls of
//                 known threads that change no thread read up to their names only
//   parse         + each line parsed into its event (StraceParser.push), as the replay parses it
//   decode        + each call's arguments decoded (decodeCall), as the replay decodes them
// BENCH_BASE=DIR also measures another build of this package (DIR/dist/index.js: a checkout of an
// earlier commit, built), in turns with this one (the machine's load drifts), and prints the
// ratio. Run after a build with `node bench/front-end.mjs`; prints ns per line, never asserts.
// BENCH_SECONDS=N: CPU seconds per stage and build (default 2).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', 'test', 'fixtures', 'strace');
const file =
  process.env.BENCH_FILE ??
  readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const load = (pkg) => import(pathToFileURL(resolve(pkg, 'dist', 'index.js')).href);
const builds = { this: await load(join(here, '..')) };
if (process.env.BENCH_BASE) builds.base = await load(process.env.BENCH_BASE);

const text = readFileSync(file, 'utf8');
const CHUNK = 1 << 16;
const chunks = [];
for (let i = 0; i < text.length; i += CHUNK) chunks.push(text.slice(i, i + CHUNK));
const lines = text.split(/\r\n|\r|\n/);
if (lines[lines.length - 1] === '') lines.pop();
const name = basename(file);
let sink = 0;

/** the stages of build m, each handling the whole file once */
function stages(m) {
  const split = () => {
    const sp = new m.LineSplitter();
    const out = [];
    for (const c of chunks) {
      sp.push(c, out);
      sink += out.length;
      out.length = 0;
    }
    sp.end(out);
  };
  const parse = (decode, firstPass) => () => {
    split();
    const p = new m.StraceParser(name, -1);
    // every thread taken as known (after its first line, each one is); older builds read every line whole
    if (firstPass && 'idle' in p) p.idle = () => true;
    for (const l of lines) {
      const ev = p.push(l);
      if (decode && ev.kind === 'call') sink += m.decodeCall(ev.name, ev.args).op.length;
      else sink += ev.line;
    }
  };
  return {
    split,
    'parse, pass 1': parse(false, true),
    parse: parse(false, false),
    'parse+decode': parse(true, false),
  };
}

const cpuNs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) * 1000;
};
const all = Object.fromEntries(Object.entries(builds).map(([k, m]) => [k, stages(m)]));
console.log(`front end per line: ${name} (${lines.length} lines), CPU time, ns per line${builds.base ? ' (this build, the base build, their ratio)' : ''}`);
for (const stage of Object.keys(all.this)) {
  const ns = {};
  const runs = {};
  for (const k of Object.keys(all)) {
    ns[k] = 0;
    runs[k] = 0;
    // warm-up: the JIT optimises the loop first
    for (const t = process.cpuUsage(); cpuNs(t) < SECONDS * 5e8; ) await all[k][stage]();
  }
  for (const t = process.cpuUsage(); cpuNs(t) < SECONDS * 1e9 * Object.keys(all).length; ) {
    for (const k of Object.keys(all)) {
      const t0 = process.cpuUsage();
      await all[k][stage]();
      ns[k] += cpuNs(t0);
      runs[k]++;
    }
  }
  const per = (k) => ns[k] / runs[k] / lines.length;
  const cols = [per('this')].concat(builds.base ? [per('base')] : []).map((v) => Math.round(v).toLocaleString('en-US').padStart(8));
  console.log(`  ${stage.padEnd(14)} ${cols.join('  ')}${builds.base ? `  ${(per('base') / per('this')).toFixed(2)}x` : ''}`);
}
if (sink === 0.5) console.log('');
