import { MAX_CPUS } from '@tlbsim/core';
import { intOpt, oneOf, parse, str, type OptionDefs } from '../args.js';
import { checkRunOutputs, finishTrace, FORMATS, openTrace, RUN_OPTIONS, traceFormatOf, variantsOf } from '../common.js';
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
  strict: { type: 'boolean' },
};

/** tlbsim replay FILE... (issue #9): an strace of a real program, replayed on each architecture. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('replay', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP.replay);
    return 0;
  }
  if (!positionals.length) throw new UsageError('tlbsim replay needs the strace output FILE (strace -f -tt -e trace=memory,process -o FILE PROGRAM), or the FILE.PID files of strace -ff');
  checkRunOutputs(values);
  const variants = variantsOf(values);
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'table');
  const touch = oneOf('--touch', str(values, 'touch'), TOUCH_RULES, 'all');
  const cpusGiven = str(values, 'cpus');
  const cpus = cpusGiven === undefined ? undefined : intOpt('--cpus', cpusGiven, 1, 1, MAX_CPUS);
  const traceFormat = traceFormatOf(values);
  const strict = values.strict === true;
  const files = positionals;
  const { inputs, lines } = fileInputs(files);

  const trace = openTrace(values, traceFormat);
  let runs;
  try {
    runs = await replayAll(inputs, variants, { touch, cpus, strict, trace });
  } catch (e) {
    trace?.abort();
    throw e;
  }
  if (trace) finishTrace(trace);
  const facts = { files, fileLines: lines, touch, cpusFrom: cpus === undefined ? ('trace' as const) : ('option' as const) };
  const text = formatReplay(facts, runs, format);
  emit(text, str(values, 'out'));
  // after the output: the skipped lines and their count close the run (json has them inside)
  if (format !== 'json') process.stderr.write(skippedReport(runs));
  return 0;
}
