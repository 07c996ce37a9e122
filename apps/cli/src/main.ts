/**
 * The command dispatcher, apart from the process: `cli.ts` runs it on process.argv and turns the
 * result into the exit status; `runCaptured` runs one command line in this process with its
 * output captured, so tests can check what a command prints without starting a node process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { parseArgs } from 'node:util';
import { ScenarioError, didYouMean, oneLine } from '@tlbsim/core';
import { compare } from './commands/compare.js';
import { check } from './commands/check.js';
import { sweep } from './commands/sweep.js';
import { merge } from './commands/merge.js';
import { replayCommand } from './commands/replay.js';
import { arches, workloads } from './commands/list.js';
import { newArch } from './commands/new-arch.js';
import { measure } from './commands/measure.js';
import { recordCommand } from './commands/record.js';
import { metrics } from './commands/metrics.js';
import { oneOf } from './args.js';
import { kernels } from './commands/kernels.js';
import { UsageError } from './errors.js';
import { COMMAND_NAMES, cliMarkdown, commandHelp, mainHelp, type CommandName } from './help.js';
import { removeTemps, stdin } from './io.js';
import { VERSION } from './report-data.js';

/** The inputs `tlbsim replay FILE...` reads (for the replay figure of `pnpm bench`: the same reading). */
export { fileInputs } from './replay/inputs.js';

// A Map, not a plain object: `tlbsim toString` or `tlbsim __proto__` must not find Object's own
const COMMANDS = new Map<CommandName, (argv: string[]) => number | Promise<number>>([
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
  ['kernels', kernels],
  ['record', recordCommand],
  ['merge', merge],
]);
const NAMES = [...COMMANDS.keys()];

/** Run one command line (without the program name); the exit status, or it throws. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(mainHelp());
    return 2;
  }
  if (cmd === '--help' || cmd === '-h') {
    process.stdout.write(mainHelp());
    return 0;
  }
  if (cmd === 'help') return help(rest);
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run = COMMANDS.get(cmd as CommandName);
  if (!run) {
    const what = cmd.startsWith('-') ? 'option' : 'command';
    throw new UsageError(`unknown ${what} "${cmd}"${didYouMean(cmd, NAMES)}; valid commands: ${NAMES.join(', ')} (tlbsim --help)`);
  }
  return run(rest);
}

/** tlbsim help [COMMAND] [--format markdown]: markdown is docs/cli.md, every command's help. */
function help(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { format: { type: 'string', short: 'f' } }, allowPositionals: true, strict: true });
  } catch (e) {
    const opt = /'([^']+)'/.exec((e as Error).message)?.[1] ?? argv.join(' ');
    throw new UsageError(`unknown option "${opt}" for "tlbsim help"; it takes a COMMAND and --format text|markdown`);
  }
  const { values, positionals } = parsed;
  const format = oneOf('--format', typeof values.format === 'string' ? values.format : undefined, ['text', 'markdown'] as const, 'text');
  if (format === 'markdown') {
    process.stdout.write(cliMarkdown());
    return 0;
  }
  const topic = positionals[0];
  if (topic !== undefined && !(COMMAND_NAMES as string[]).includes(topic)) throw new UsageError(`unknown command "${topic}"${didYouMean(topic, NAMES)}; valid commands: ${NAMES.join(', ')}`);
  process.stdout.write(topic === undefined ? mainHelp() : commandHelp(topic as CommandName));
  return 0;
}

/** An error out of `main` as the exit status: bad input 2 (one line), anything else 70. */
export function fail(e: unknown): number {
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

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

interface Capture {
  stdout: string[];
  stderr: string[];
}

// The commands write to process.stdout and process.stderr: while a captured run is in progress,
// writes made from its asynchronous context are kept, and the streams read as no terminal (no
// colour, no progress bar); writes from anything else in the process pass through.
const capturing = new AsyncLocalStorage<Capture>();
let hooked = false;

function hook(stream: NodeJS.WriteStream, key: keyof Capture): void {
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const c = capturing.getStore();
    if (!c) return write(chunk, ...rest);
    c[key].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (cb) process.nextTick(cb);
    return true;
  }) as typeof stream.write;
  const tty = stream.isTTY;
  Object.defineProperty(stream, 'isTTY', { configurable: true, enumerable: true, get: () => (capturing.getStore() ? false : tty) });
}

// one captured run at a time: a run may change the working directory for its whole length
let queue: Promise<unknown> = Promise.resolve();

/**
 * Run one command line in this process as `tlbsim ARGV...` would run off a terminal, in `cwd` if
 * given, and return its exit status and output. Nothing reaches the real stdout or stderr and the
 * process's exit status is left alone. Runs are serialised; each starts on a fresh turn of the
 * event loop, so a caller's pending I/O is served between two runs. For what only a real process
 * shows (signals, terminals, the environment, the exit of the process), spawn the CLI. `stdin` is
 * what the run reads as its standard input (`tlbsim run -`).
 */
export function runCaptured(argv: readonly string[], opts: { cwd?: string; stdin?: string } = {}): Promise<Captured> {
  const mine = queue.then(() => runOne([...argv], opts.cwd, opts.stdin));
  queue = mine.catch(() => undefined);
  return mine;
}

async function runOne(argv: string[], cwd: string | undefined, input: string | undefined): Promise<Captured> {
  if (!hooked) {
    hook(process.stdout, 'stdout');
    hook(process.stderr, 'stderr');
    hooked = true;
  }
  await new Promise((res) => setImmediate(res));
  const c: Capture = { stdout: [], stderr: [] };
  const before = process.cwd();
  if (cwd !== undefined) process.chdir(cwd);
  // what the run reads from stdin: the text given, or nothing (never the worker's own stdin)
  const read = stdin.read;
  stdin.read = () => input ?? '';
  try {
    const code = await capturing.run(c, async () => {
      try {
        return await main(argv);
      } catch (e) {
        return fail(e);
      }
    });
    return { code, stdout: c.stdout.join(''), stderr: c.stderr.join('') };
  } finally {
    stdin.read = read;
    if (cwd !== undefined) process.chdir(before);
  }
}
