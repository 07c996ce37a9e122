import { oneOf, parse, str } from '../args.js';
import { ARCH_NAMES } from '../arches.js';
import { UsageError, unknownChoice } from '../errors.js';
import { bold, useColor } from '../format/grid.js';
import { commandHelp } from '../help.js';
import { metricOf, metricsMarkdown, metricsText, registry } from '../metrics-registry.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

/** tlbsim metrics [KEY...] [--arch NAME] [--format text|json|markdown] */
export function metrics(argv: string[]): number {
  const { values, positionals } = parse('metrics', argv);
  if (values.help) {
    process.stdout.write(commandHelp('metrics'));
    return 0;
  }
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'text');
  const arch = str(values, 'arch');
  if (arch !== undefined && !ARCH_NAMES.includes(arch)) throw unknownChoice('architecture', arch, ARCH_NAMES, 'architectures');
  let rows = registry();
  if (positionals.length) {
    rows = positionals.map((k) => {
      const d = metricOf(k);
      if (!d) throw new UsageError(`unknown metric "${k}" (tlbsim metrics lists them all)`);
      return d;
    });
  }
  if (arch) rows = rows.filter((d) => d.backends === 'all' || d.backends.includes(arch));
  if (format === 'json') process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (format === 'markdown') process.stdout.write(metricsMarkdown(rows));
  else {
    const color = useColor(process.stdout);
    process.stdout.write(metricsText(rows, (s) => bold(color, s)));
  }
  return 0;
}
