#!/usr/bin/env node
// `pnpm bench`: every figure of bench/figures/ in name order, each in a process of its own (so no
// figure inherits another's warm JIT or heap; each ratio is measured side by side inside its own
// run). A figure prints what it measured, then its machine-readable lines prefixed `FIGURE: `;
// this runner passes the rest through and prints every figure's lines together at the end, in
// order, so the output ends with them. A figure is one file: add one by adding a file.
// BENCH_ONLY=NAME[,NAME] runs the figures whose file name contains one of the names.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./figures/', import.meta.url));
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs') && (!only || only.some((o) => f.includes(o)))).sort();

const figures = [];
let failed = false;
for (const f of files) {
  console.log(`\n== ${f.replace(/^\d+-/, '').replace(/\.mjs$/, '')}`);
  const lines = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', dir + f], { stdio: ['ignore', 'pipe', 'inherit'] });
    const mine = [];
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s) => {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('FIGURE: ')) mine.push(line.slice(8));
        else console.log(line);
      }
    });
    child.on('close', (code) => {
      if (buf) console.log(buf);
      if (code !== 0) {
        failed = true;
        console.log(`(${f} exited with ${code})`);
      }
      resolve(mine);
    });
  });
  figures.push(...lines);
}
console.log('');
for (const l of figures) console.log(l);
if (failed) process.exitCode = 1;
