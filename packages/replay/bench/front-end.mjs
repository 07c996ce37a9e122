// Helper benchmark (not a figure): what the replay's front end costs per line, apart from the
// simulation. On the largest strace fixture (or BENCH_FILE), in CPU time (user + system), each
// stage repeated for BENCH_SECONDS (1) after a warm-up:
//   split   the text cut into lines (LineSplitter, 64 KiB chunks, as the CLI reads a file)
//   parse   + each line parsed into its event (StraceParser.push)
//   decode  + each call's arguments decoded (decodeCall), as the second pass does
//   pass 1  the thread-counting first pass: replay() without cpus minus replay() with them (timed
//           in turns, for 4 x BENCH_SECONDS)
// Run after a build with `node bench/front-end.mjs`; prints nanoseconds per line, never asserts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generic } from '@tlbsim/core';
import { LineSplitter, StraceParser, decodeCall, replay } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', 'test', 'fixtures', 'strace');
const file =
  process.env.BENCH_FILE ??
  readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const text = readFileSync(file, 'utf8');
const CHUNK = 1 << 16;
const chunks = [];
for (let i = 0; i < text.length; i += CHUNK) chunks.push(text.slice(i, i + CHUNK));
const lines = [];
{
  const sp = new LineSplitter();
  for (const c of chunks) sp.push(c, lines);
  sp.end(lines);
}
const name = basename(file);

const cpuNs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) * 1000;
};

/** ns per line of fn (which handles the whole file once), after a warm-up of half the time */
async function perLine(fn) {
  for (let t = process.cpuUsage(); cpuNs(t) < SECONDS * 5e8; ) await fn();
  let runs = 0;
  const t = process.cpuUsage();
  let ns = 0;
  while (ns < SECONDS * 1e9 || runs < 5) {
    await fn();
    runs++;
    ns = cpuNs(t);
  }
  return ns / runs / lines.length;
}

/** ns per line of a and of b, timed in turns (the machine's load drifts) */
async function interleaved(a, b) {
  await perLine(a);
  await perLine(b);
  let na = 0;
  let nb = 0;
  let runs = 0;
  for (const t = process.cpuUsage(); cpuNs(t) < SECONDS * 4e9 || runs < 10; runs++) {
    let t0 = process.cpuUsage();
    await a();
    na += cpuNs(t0);
    t0 = process.cpuUsage();
    await b();
    nb += cpuNs(t0);
  }
  return [na / runs / lines.length, nb / runs / lines.length];
}

let sink = 0;
function split() {
  const sp = new LineSplitter();
  const out = [];
  for (const c of chunks) {
    sp.push(c, out);
    sink += out.length;
    out.length = 0;
  }
  sp.end(out);
}
function parse(decode) {
  return () => {
    split();
    const p = new StraceParser(name, -1);
    for (const l of lines) {
      const ev = p.push(l);
      if (decode && ev.kind === 'call') sink += decodeCall(ev.name, ev.args).op.length;
      else sink += ev.line;
    }
  };
}
const inputs = [{ name, lines }];
const first = await replay(inputs, generic());
const withPass1 = () => replay(inputs, generic());
const withoutPass1 = () => replay(inputs, generic(), { cpus: first.cpus.length });

console.log(`front end per line: ${name} (${lines.length} lines), CPU time`);
const rows = [
  ['split', await perLine(split)],
  ['split+parse', await perLine(parse(false))],
  ['split+parse+decode', await perLine(parse(true))],
];
const [a, b] = await interleaved(withPass1, withoutPass1);
rows.push(['replay (generic backend)', a], ['replay with cpus given (no pass 1)', b], ['pass 1 (the difference)', a - b]);
for (const [what, ns] of rows) console.log(`  ${what.padEnd(36)} ${Math.round(ns).toLocaleString('en-US').padStart(8)} ns/line`);
if (sink === 0.5) console.log('');
