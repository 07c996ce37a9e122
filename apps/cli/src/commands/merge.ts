import { readFileSync } from 'node:fs';
import { parse, str } from '../args.js';
import { UsageError } from '../errors.js';
import { HELP } from '../help.js';
import { checkOutputs } from '../io.js';
import { mergeShards } from '../shard.js';
import { sweepOutputOptions, writeSweep } from './sweep.js';

/** tlbsim merge SHARD...: the shards of one sweep (tlbsim sweep --shard K/N) as the unsharded sweep's output */
export function merge(argv: string[]): number {
  const { values, positionals } = parse('merge', argv, {
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    plot: { type: 'string' },
    metric: { type: 'string' },
    report: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP.merge);
    return 0;
  }
  checkOutputs({ '--out': str(values, 'out'), '--plot': str(values, 'plot'), '--report': str(values, 'report') });
  const output = sweepOutputOptions(values);
  const files = positionals.map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read ${name}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
    }
  });
  writeSweep(mergeShards(files), output);
  return 0;
}
