// Benchmark: schedule exploration (core SPEC.md §13) of a small job, the mremap scenario of
// docs/examples/mremap-file.yaml on asm-generic: how many seeded schedules a second, each one a
// whole run of the job with its actors, plus the shrinking of what they find. Run with
// `pnpm bench`. Prints figures, never asserts.
import { readFileSync } from 'node:fs';
import { exploreSchedules, generic, parseScenario, runScenario } from '../dist/index.js';

const SCHEDULES = Number(process.env.TLBSIM_BENCH_SCHEDULES ?? 2000);
const file = new URL('../../../docs/examples/mremap-file.yaml', import.meta.url);
const s = parseScenario(readFileSync(file, 'utf8'), 'mremap-file.yaml');

function explore(features) {
  const t0 = performance.now();
  const r = exploreSchedules((attach) => runScenario(s, generic(), { checker: true, setup: attach, features }).violations, { schedules: SCHEDULES });
  return { ms: performance.now() - t0, r };
}

explore([]); // warm up
for (const [label, features] of [['current kernel', []], ['without eb66ae030829', ['-eb66ae030829']]]) {
  const { ms, r } = explore(features);
  const rate = Math.round((SCHEDULES / ms) * 1000);
  console.log(`schedules (mremap-file, generic, ${label}): ${SCHEDULES} schedules in ${ms.toFixed(0)} ms = ${rate} schedules/s; ${r.steps} steps, ${r.placements} single placements, ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
}
