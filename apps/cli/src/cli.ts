/**
 * tlbsim: the command line of the tlbsim simulator.
 * Exit status (see EXIT_HELP): 0 ok, 1 findings (`check`), 2 bad input, 70 a bug of ours, 130/143
 * interrupted by SIGINT/SIGTERM.
 */
import { ScenarioError, didYouMean, oneLine } from '@tlbsim/core';
import { compare } from './commands/compare.js';
import { check } from './commands/check.js';
import { sweep } from './commands/sweep.js';
import { replayCommand } from './commands/replay.js';
import { arches, workloads } from './commands/list.js';
import { newArch } from './commands/new-arch.js';
import { metrics } from './commands/metrics.js';
import { measure } from './commands/measure.js';
import { UsageError } from './errors.js';
import { HELP } from './help.js';
import { removeTemps } from './io.js';
import { terminateWorkers } from './pool.js';
import { VERSION } from './report-data.js';

// A Map, not a plain object: `tlbsim toString` or `tlbsim __proto__` must not find Object's own
const COMMANDS = new Map<string, (argv: string[]) => number | Promise<number>>([
  ['compare', (a) => compare(a, 'compare')],
  ['run', (a) => compare(a, 'run')],
  ['check', check],
  ['sweep', sweep],
  ['workloads', workloads],
  ['arches', arches],
  ['metrics', metrics],
  ['new-arch', newArch],
  ['replay', replayCommand],
  ['measure', measure],
]);
const NAMES = [...COMMANDS.keys()];

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(HELP.main);
    return 2;
  }
  if (cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP.main);
    return 0;
  }
  if (cmd === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !Object.hasOwn(HELP, topic)) throw new UsageError(`unknown command "${topic}"${didYouMean(topic, NAMES)}; valid commands: ${NAMES.join(', ')}`);
    process.stdout.write(HELP[topic ?? 'main']);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run = COMMANDS.get(cmd);
  if (!run) {
    const what = cmd.startsWith('-') ? 'option' : 'command';
    throw new UsageError(`unknown ${what} "${cmd}"${didYouMean(cmd, NAMES)}; valid commands: ${NAMES.join(', ')} (tlbsim --help)`);
  }
  return run(rest);
}

function fail(e: unknown): number {
  removeTemps();
  if (e instanceof UsageError || e instanceof ScenarioError) {
    process.stderr.write(`tlbsim: error: ${oneLine(e.message)}\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`tlbsim: internal error: ${oneLine(String(err?.message ?? e))}\n`);
  if (process.env.TLBSIM_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('tlbsim: (set TLBSIM_DEBUG=1 for the stack trace; please report this)\n');
  return 70;
}

const interrupted = (code: number) => () => {
  terminateWorkers();
  removeTemps();
  process.stderr.write('\ntlbsim: interrupted\n');
  process.exit(code);
};
process.on('SIGINT', interrupted(130));
process.on('SIGTERM', interrupted(143));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = fail(e);
  },
);
