import { readFileSync } from 'node:fs';
import { parse, str } from '../args.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { checkOutputs } from '../io.js';
import { mergeShards } from '../shard.js';
import { sweepOutputOptions, writeSweep } from './sweep.js';

/** tlbsim merge SHARD...: the shards of one sweep (tlbsim sweep --shard K/N) as the unsharded sweep's output */
export async function merge(argv: string[]): Promise<number> {
  const { values, positionals } = parse('merge', argv);
  if (values.help) {
    process.stdout.write(commandHelp('merge'));
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
  await writeSweep(mergeShards(files), output);
  return 0;
}
