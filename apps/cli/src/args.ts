import { parseArgs } from 'node:util';
import { didYouMean } from '@tlbsim/core';
import { UsageError } from './errors.js';

import { commandOptions, type CommandName } from './help.js';
import type { OptionDef } from './options.js';
import { setColorMode } from './format/color.js';

export type Values = Record<string, string | boolean | string[] | undefined>;
type ParseDefs = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** A negative number (`-1`, `-0.5`): after an option that takes a value, it is that value. */
const NEGATIVE = /^-\d+(\.\d+)?$/;

/**
 * `--seed -1` as `--seed=-1`: node:util parseArgs reads a dash after an option as a forgotten
 * value; a negative number there is the value (the option's own check then says whether it may
 * be negative).
 */
function joinNegatives(argv: readonly string[], defs: readonly OptionDef[]): string[] {
  const takesValue = (a: string): string | undefined => {
    const d = a.startsWith('--') ? defs.find((o) => o.name === a.slice(2)) : /^-\w$/.test(a) ? defs.find((o) => o.short === a[1]) : undefined;
    return d && d.type === 'string' ? d.name : undefined;
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.includes('=') ? undefined : takesValue(a);
    if (name !== undefined && i + 1 < argv.length && NEGATIVE.test(argv[i + 1])) {
      out.push(`--${name}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

/**
 * Parse one command's arguments with its options from the option table (node:util parseArgs),
 * errors rewritten as one-line usage errors that name the bad option and list the valid ones.
 * `--color` takes effect here, for the whole command.
 */
export function parse(command: CommandName, argv: string[]): { values: Values; positionals: string[] } {
  const defs = commandOptions(command);
  const options: ParseDefs = {};
  for (const d of defs) options[d.name] = { type: d.type, ...(d.multiple ? { multiple: true } : {}), ...(d.short ? { short: d.short } : {}) };
  try {
    const r = parseArgs({ args: joinNegatives(argv, defs), options, allowPositionals: true, strict: true, tokens: true });
    checkTokens(command, options, r.tokens);
    const values = r.values as Values;
    const color = oneOf('--color', str(values, 'color'), ['auto', 'always', 'never'] as const, 'auto');
    // auto colours what goes to a terminal: never a file --out names
    const toFile = str(values, 'out') !== undefined && str(values, 'out') !== '-';
    setColorMode(color === 'auto' && toFile ? 'never' : color);
    return { values, positionals: r.positionals };
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
      throw new UsageError(`option ${opt} of "tlbsim ${command}" ${/argument missing|ambiguous/.test(err.message) ? 'needs a value' : 'takes no value'}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument for "tlbsim ${command}": ${err.message}`);
    throw new UsageError(err.message.split('\n')[0]);
  }
}

/**
 * An option that takes one value given twice is a mistake (which one did the user mean?), not
 * last-wins; an empty value (`--out ""`) is refused rather than read as "not given".
 */
function checkTokens(command: string, options: ParseDefs, tokens: readonly Token[]): void {
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
