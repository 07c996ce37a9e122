import { MAX_CPUS } from '@tlbsim/core';
import { intOpt, oneOf, parse, str, type OptionDefs } from '../args.js';
import { checkRunOutputs, FORMATS, RUN_OPTIONS, traceFormatOf, variantsOf, writeTrace } from '../common.js';
import { UsageError } from '../errors.js';
import { HELP } from '../help.js';
import { emit } from '../io.js';
import { fileInputs } from '../replay/inputs.js';
import { formatReplay, skippedReport } from '../replay/report.js';
import { replayAll, TOUCH_RULES } from '../replay/run.js';

// compare's options but --include-setup (a replayed program's threads appear during the replay), and the replay's own
const { 'include-setup': _setup, ...SHARED } = RUN_OPTIONS;
const OPTIONS: OptionDefs = {
  ...RUN_OPTIONS,
  touch: { type: 'string' },
  cpus: { type: 'string' },
  pid: { type: 'string' },
  strict: { type: 'boolean' },
};

/** tlbsim replay FILE... (issue #9): an strace of a real program, replayed on each architecture. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('replay', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP.replay);
    return 0;
  }
  if (!positionals.length) throw new UsageError('tlbsim replay needs the strace output FILE (strace -f -tt -e trace=memory,process -o FILE PROGRAM), the FILE.PID files of strace -ff, or a kernel recording (tlbsim record -o FILE -- PROGRAM)');
  checkRunOutputs(values);
  const variants = variantsOf(values);
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'table');
  const touch = oneOf('--touch', str(values, 'touch'), TOUCH_RULES, 'all');
  const cpusGiven = str(values, 'cpus');
  const cpus = cpusGiven === undefined ? undefined : intOpt('--cpus', cpusGiven, 1, 1, MAX_CPUS);
  const traceFormat = traceFormatOf(values);
  const strict = values.strict === true;
  const pidGiven = str(values, 'pid');
  const pid = pidGiven === undefined ? undefined : intOpt('--pid', pidGiven, 1, 1, 2 ** 22);
  const files = positionals;
  const { inputs, lines } = fileInputs(files);

  const runs = await replayAll(inputs, variants, { touch, cpus, strict, trace: !!traceFormat, pid });
  // a recording with page faults needs no touch assumption: the replay says which rule it used
  const facts = { files, fileLines: lines, touch: runs[0].result.touch, cpusFrom: cpus === undefined ? ('trace' as const) : ('option' as const) };
  const text = formatReplay(facts, runs, format);
  if (traceFormat) writeTrace(str(values, 'trace')!, traceFormat, runs);
  emit(text, str(values, 'out'));
  // after the output: the skipped lines and their count close the run (json has them inside)
  if (format !== 'json') process.stderr.write(skippedReport(runs));
  return 0;
}
