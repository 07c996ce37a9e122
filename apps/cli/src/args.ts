import { parseArgs } from 'node:util';
import { didYouMean } from '@tlbsim/core';
import { UsageError } from './errors.js';

export interface OptionDef {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}
export type OptionDefs = Record<string, OptionDef>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * node:util parseArgs with errors rewritten as one-line usage errors that name the bad option and
 * list the valid ones.
 */
export function parse(command: string, argv: string[], defs: OptionDefs): { values: Values; positionals: string[] } {
  const options = { ...defs, help: { type: 'boolean', short: 'h' } } as OptionDefs;
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
    checkTokens(command, options, r.tokens);
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as Error & { code?: string };
    const valid = Object.keys(options).map((o) => `--${o}`);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /'([^']+)'/.exec(err.message);
      const opt = (m?.[1] ?? '').split('=')[0];
      throw new UsageError(`unknown option "${opt}" for "tlbsim ${command}"${didYouMean(opt, valid)}; valid options: ${valid.join(', ')}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const m = /'(-[^']*)'/.exec(err.message);
      const opt = m ? m[1].replace(/^-\w, /, '').split(' ')[0] : 'an option';
      throw new UsageError(`option ${opt} of "tlbsim ${command}" ${/argument missing/.test(err.message) ? 'needs a value' : 'takes no value'}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument for "tlbsim ${command}": ${err.message}`);
    throw new UsageError(err.message.split('\n')[0]);
  }
}

/**
 * An option that takes one value given twice is a mistake (which one did the user mean?), not
 * last-wins; an empty value (`--out ""`) is refused rather than read as "not given".
 */
function checkTokens(command: string, options: OptionDefs, tokens: readonly Token[]): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const def = options[t.name];
    if (def.type !== 'string') continue;
    const value = t.value ?? '';
    if (value.trim() === '') throw new UsageError(`option --${t.name} of "tlbsim ${command}" needs a value, got an empty one`);
    if (def.multiple) continue;
    const before = seen.get(t.name);
    if (before !== undefined) throw new UsageError(`option --${t.name} of "tlbsim ${command}" is given twice ("${before}" and "${value}"): give it once`);
    seen.set(t.name, value);
  }
}
type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export function str(v: Values, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}
export function list(v: Values, k: string): string[] {
  const x = v[k];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
}
export function oneOf<T extends string>(opt: string, given: string | undefined, valid: readonly T[], dflt: T): T {
  if (given === undefined) return dflt;
  if ((valid as readonly string[]).includes(given)) return given as T;
  throw new UsageError(`unknown value "${given}" for ${opt}${didYouMean(given, valid)}; valid values: ${valid.join(', ')}`);
}

/** A non-negative integer option such as --jobs. */
export function intOpt(opt: string, given: string | undefined, dflt: number, min: number, max: number): number {
  if (given === undefined) return dflt;
  const n = /^-?\d+$/.test(given.trim()) ? Number(given) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${opt} must be an integer from ${min} to ${max}, got "${given}"`);
  return n;
}
