#!/usr/bin/env node
// The checker's schedule exploration (`tlbsim check --schedules`, core SPEC.md §13) of a small job,
// the mremap scenario of docs/examples/mremap-file.yaml on asm-generic: how many seeded schedules
// a second, each one a whole run of the job with its actors, plus the shrinking of what they find;
// on the current kernel (nothing to find) and without eb66ae030829 (a finding to shrink). Wall
// time of this process alone. Run with `pnpm bench` after a build. BENCH_SCHEDULES=N (2000).
import { readFileSync } from 'node:fs';
import { exploreSchedules, generic, parseScenario, runScenario } from '@tlbsim/core';

const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 2000);
const file = new URL('../../../../docs/examples/mremap-file.yaml', import.meta.url);
const s = parseScenario(readFileSync(file, 'utf8'), 'mremap-file.yaml');

function explore(features) {
  const t0 = performance.now();
  const r = exploreSchedules((attach) => runScenario(s, generic(), { checker: true, setup: attach, features }).violations, { schedules: SCHEDULES });
  return { ms: performance.now() - t0, r };
}

explore([]); // warm up
let current = 0;
for (const [label, features] of [['current kernel', []], ['without eb66ae030829', ['-eb66ae030829']]]) {
  const { ms, r } = explore(features);
  const rate = Math.round((SCHEDULES / ms) * 1000);
  if (features.length === 0) current = rate;
  console.log(`schedules (mremap-file, generic, ${label}): ${SCHEDULES} schedules in ${ms.toFixed(0)} ms = ${rate} schedules/s; ${r.steps} steps, ${r.placements} single placements, ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
}
console.log(`FIGURE: schedules per second: ${current}`);
