import { MAX_CPUS } from '@tlbsim/core';
import { intOpt, oneOf, parse, str } from '../args.js';
import { checkRunOutputs, finishTrace, FORMATS, openTrace, traceFormatOf, variantsOf, viewOf } from '../common.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { emit } from '../io.js';
import { fileInputs } from '../replay/inputs.js';
import { formatReplay, skippedReport } from '../replay/report.js';
import { replayAll, TOUCH_RULES } from '../replay/run.js';

/** tlbsim replay FILE... (issue #9): an strace of a real program, replayed on each architecture. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('replay', argv);
  if (values.help) {
    process.stdout.write(commandHelp('replay'));
    return 0;
  }
  if (!positionals.length) throw new UsageError('tlbsim replay needs the strace output FILE (strace -f -tt -e trace=memory,process -o FILE PROGRAM), the FILE.PID files of strace -ff, or a kernel recording (tlbsim record -o FILE -- PROGRAM)');
  checkRunOutputs(values);
  const variants = variantsOf(values);
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'table');
  const view = viewOf(values, format, variants);
  const touch = oneOf('--touch', str(values, 'touch'), TOUCH_RULES, 'all');
  const cpusGiven = str(values, 'cpus');
  const cpus = cpusGiven === undefined ? undefined : intOpt('--cpus', cpusGiven, 1, 1, MAX_CPUS);
  const traceFormat = traceFormatOf(values);
  const strict = values.strict === true;
  const pidGiven = str(values, 'pid');
  const pid = pidGiven === undefined ? undefined : intOpt('--pid', pidGiven, 1, 1, 2 ** 22);
  const files = positionals;
  const { inputs, lines } = fileInputs(files);

  const trace = openTrace(values, traceFormat);
  let runs;
  try {
    runs = await replayAll(inputs, variants, { touch, cpus, strict, trace, pid });
  } catch (e) {
    trace?.abort();
    throw e;
  }
  if (trace) finishTrace(trace);
  // a recording with page faults needs no touch assumption: the replay says which rule it used
  const facts = { files: files.map((f) => (f === '-' ? 'stdin' : f)), fileLines: lines, touch: runs[0].result.touch, cpusFrom: cpus === undefined ? ('trace' as const) : ('option' as const) };
  const text = formatReplay(facts, runs, format, view);
  emit(text, str(values, 'out'));
  // after the output: the skipped lines and their count close the run (json has them inside)
  if (format !== 'json') process.stderr.write(skippedReport(runs));
  return 0;
}
