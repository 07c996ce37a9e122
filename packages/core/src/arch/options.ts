/**
 * A backend's options: typed specs and the one resolver every backend uses. The resolver takes
 * what a user gave (a library object such as `x86({ pcid: false })`, or the CLI's
 * `x86:pcid=off,ceiling=10` text), checks each value against its spec, fills in the defaults,
 * runs the backend's cross-option rules and builds the label. Every complaint is an
 * {@link OptionError} worded one way: `<arch>: option '<name>' must be <allowed> (<detail>)`.
 */
import { COST_MODEL_KEYS, type CostModel } from './cost-model.js';
import { closestName } from '../scenario/schema.js';
import { KernelError, MAINLINE_RELEASE, OLDEST_RELEASE, parseRelease } from '../kernel/release.js';

export type OptionValue = string | number | boolean;

interface OptionSpecBase {
  /** the canonical name: the key in `ArchBackend.options`, in labels' variant ids and in listings */
  name: string;
  /** one line for `tlbsim arches` */
  description: string;
  /**
   * Other names accepted for this option (never shown, never reported): lets one kernel knob carry
   * one name across backends while the old name keeps working.
   */
  aliases?: readonly string[];
}

export interface BooleanOptionSpec extends OptionSpecBase {
  kind: 'boolean';
  default: boolean;
  choices: readonly [true, false];
}

export interface EnumOptionSpec extends OptionSpecBase {
  kind: 'enum';
  /** the accepted values, in the order listings show them */
  choices: readonly (string | number)[];
  default: string | number;
  /** what a number counts (`bits`, `bytes`), for numeric choices */
  unit?: string;
}

export interface IntegerOptionSpec extends OptionSpecBase {
  kind: 'integer';
  min: number;
  /** inclusive; Number.MAX_SAFE_INTEGER for "no upper bound" */
  max: number;
  default: number;
  /** what the number counts: `strides`, `pages`, `bytes`, `coprocessors` */
  unit?: string;
  choices?: never;
}

/**
 * A kernel release (`6.1`, `v6.15`, `6.18.44`, `mainline`): any release core's parseRelease
 * accepts, from the oldest modelled one to mainline; the value is kept as given. `choices` only
 * says what listings show (the modelled releases).
 */
export interface ReleaseOptionSpec extends OptionSpecBase {
  kind: 'release';
  default: string;
  /** what listings show (the modelled releases); any release parseRelease accepts is allowed */
  choices?: readonly string[];
  /**
   * values accepted as written besides releases: a backend's behaviours kept from before releases
   * were one axis (x86 `v6.15`, which sets x86's behaviour only)
   */
  named?: readonly string[];
}

/**
 * A partial {@link CostModel}: library API only. Every backend accepts `cost` (the contract's
 * `ArchBackend.cost` is overridable everywhere); a spec of this kind only describes it for listings.
 */
export interface CostOptionSpec extends OptionSpecBase {
  kind: 'cost';
  /** how listings show the default */
  default: string;
  choices?: never;
}

/** A static description of one option of a backend (for `tlbsim arches` and validation). */
export type OptionSpec = BooleanOptionSpec | EnumOptionSpec | IntegerOptionSpec | ReleaseOptionSpec | CostOptionSpec;

/** The option every backend takes, whether or not its specs list it. */
export const COST_OPTION = 'cost';

/** Bad option input; `arch` and `option` name what was wrong, the message says what is allowed. */
export class OptionError extends Error {
  constructor(
    readonly arch: string,
    /** the option as the user spelled it, '' when the whole options value is wrong */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

/** A value as messages show it: strings quoted, objects as JSON. */
export function showOptionValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/**
 * The one error format: `<arch>: option '<name>' must be <allowed> (<detail>)`. Backends raise
 * their cross-option rules through it, e.g. `optionError('x86', 'pcid', "false with paravirt 'xen'",
 * 'Xen PV guests run without PCID')`.
 */
export function optionError(arch: string, option: string, allowed: string, detail?: string): OptionError {
  return new OptionError(arch, option, `${arch}: option '${option}' must be ${allowed}${detail ? ` (${detail})` : ''}`);
}

/** The value-check failure: names what is allowed and what was given. */
function badValue(arch: string, option: string, allowed: string, got: unknown, hint = ''): OptionError {
  return optionError(arch, option, allowed, `got ${showOptionValue(got)}${hint}`);
}

/** `one of 'a', 'b'`, or just the value when there is one: the `<allowed>` text of a choice. */
export function oneOfText(xs: readonly unknown[]): string {
  return xs.length === 1 ? showOptionValue(xs[0]) : `one of ${xs.map(showOptionValue).join(', ')}`;
}

/** What a spec allows, in words (the `<allowed>` part of the message). */
export function allowedText(s: OptionSpec): string {
  switch (s.kind) {
    case 'boolean':
    case 'enum':
      return oneOfText(s.choices);
    case 'integer':
      return s.max === Number.MAX_SAFE_INTEGER ? `an integer >= ${s.min}` : `an integer from ${s.min} to ${s.max}`;
    case 'release': {
      const named = namedValues(s);
      return `a kernel release from ${OLDEST_RELEASE} to ${MAINLINE_RELEASE}, e.g. 6.18.44 or mainline${named.length ? `, or ${oneOfText(named)}` : ''}`;
    }
    case 'cost':
      return `an object with any of ${COST_MODEL_KEYS.join(', ')}`;
  }
}

/** Check one value from a library object against its spec; returns it unchanged. */
function checkValue(arch: string, key: string, s: OptionSpec, v: unknown): OptionValue {
  switch (s.kind) {
    case 'boolean':
      if (typeof v !== 'boolean') throw badValue(arch, key, allowedText(s), v);
      return v;
    case 'enum':
      if (!s.choices.includes(v as never)) {
        const named = s.choices.filter((c): c is string => typeof c === 'string');
        const near = typeof v === 'string' ? closestName(v, named) : undefined;
        throw badValue(arch, key, allowedText(s), v, near !== undefined ? `; did you mean '${near}'?` : '');
      }
      return v as string | number;
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < s.min || v > s.max) throw badValue(arch, key, allowedText(s), v);
      return v;
    case 'release':
      return checkRelease(arch, key, s, v);
    case 'cost':
      throw new Error(`${arch}: option '${key}' is a cost model, not a value`); // resolveArchOptions handles it
  }
}

/** The backend's named values of a release option (ReleaseOptionSpec.named). */
function namedValues(s: ReleaseOptionSpec): readonly string[] {
  return s.named ?? [];
}

/** A release option's value: a named value as written, else any modelled release (trimmed). */
function checkRelease(arch: string, key: string, s: ReleaseOptionSpec, v: unknown): string {
  if (typeof v !== 'string') throw badValue(arch, key, allowedText(s), v);
  if (namedValues(s).includes(v)) return v;
  try {
    parseRelease(v);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    // a release out of range says why; a misspelt name gets the nearest named value
    const near = /^v?\d/.test(v) ? undefined : closestName(v, namedValues(s));
    if (near !== undefined) throw badValue(arch, key, allowedText(s), v, `; did you mean '${near}'?`);
    throw optionError(arch, key, allowedText(s), e.message);
  }
  return v.trim();
}

/** Validate a partial CostModel (the `cost` option of every backend). */
export function checkCostOverrides(arch: string, cost: unknown): Partial<CostModel> | undefined {
  if (cost === undefined) return undefined;
  if (typeof cost !== 'object' || cost === null || Array.isArray(cost)) {
    throw badValue(arch, COST_OPTION, `an object with any of ${COST_MODEL_KEYS.join(', ')}`, cost);
  }
  for (const [k, v] of Object.entries(cost)) {
    if (!(COST_MODEL_KEYS as readonly string[]).includes(k)) {
      throw optionError(arch, COST_OPTION, `an object with any of ${COST_MODEL_KEYS.join(', ')}`, `got unknown key '${k}'`);
    }
    if (k === 'instructions' || k === 'sources') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badValue(arch, `cost.${k}`, 'an object', v);
      for (const [m, x] of Object.entries(v)) {
        if (k === 'instructions' ? typeof x !== 'number' || !(x >= 0) : typeof x !== 'string') {
          throw badValue(arch, `cost.${k}.${m}`, k === 'instructions' ? 'a number >= 0' : 'a string', x);
        }
      }
    } else if (typeof v !== 'number' || !(v >= 0)) {
      throw badValue(arch, `cost.${k}`, 'a number >= 0', v);
    }
  }
  return cost as Partial<CostModel>;
}

/** How one backend's options are declared: its specs, its cross-option rules and its label. */
export interface ArchOptionsDef<R> {
  /** the backend's short name, which starts every message */
  arch: string;
  specs: readonly OptionSpec[];
  /**
   * Rules that involve more than one option, and defaults that depend on another option. Runs
   * after every value passed its spec, with the defaults filled in; may adjust `r`; throws
   * through {@link optionError}. `given` holds the canonical names the user set.
   */
  derive?(r: R, given: ReadonlySet<string>): void;
  /** the label for reports, from the resolved options */
  label(r: R): string;
}

export interface ResolvedArchOptions<R> {
  /** every option (cost aside) with its default filled in, in spec order */
  options: R;
  /** the canonical names the user set */
  given: ReadonlySet<string>;
  /** the validated cost overrides, if any */
  cost?: Partial<CostModel>;
  label: string;
}

/** Every option's default (cost aside), in spec order. */
export function optionDefaults<R extends object>(specs: readonly OptionSpec[]): R {
  const r: Record<string, OptionValue> = {};
  for (const s of specs) if (s.kind !== 'cost') r[s.name] = s.default;
  return r as R;
}

/** Canonical name and spec of every accepted name (names and aliases), and the names to list. */
function nameTable(arch: string, specs: readonly OptionSpec[]): Map<string, OptionSpec> {
  const t = new Map<string, OptionSpec>();
  for (const s of specs) {
    for (const n of [s.name, ...(s.aliases ?? [])]) {
      if (t.has(n)) throw new Error(`${arch}: option name '${n}' is declared twice`);
      t.set(n, s);
    }
  }
  return t;
}

function unknownOption(arch: string, key: string, valid: readonly string[]): OptionError {
  if (!valid.length) return new OptionError(arch, key, `${arch}: unknown option '${key}' (${arch} has no options)`);
  const near = closestName(key, valid);
  const hint = near !== undefined ? `did you mean '${near}'? ` : '';
  return new OptionError(arch, key, `${arch}: unknown option '${key}' (${hint}valid options: ${valid.join(', ')})`);
}

/**
 * The resolver: check every name and value of a library options object, fill in defaults, apply
 * the backend's cross-option rules and build the label.
 */
export function resolveArchOptions<R extends object>(def: ArchOptionsDef<R>, input: unknown): ResolvedArchOptions<R> {
  const { arch, specs } = def;
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new OptionError(arch, '', `${arch}: options must be an object (got ${showOptionValue(input)})`);
  }
  const names = nameTable(arch, specs);
  const valid = specs.map((s) => s.name);
  if (!names.has(COST_OPTION)) valid.push(COST_OPTION);
  const byName = new Map<string, [string, unknown]>();
  let costIn: unknown;
  for (const [key, v] of Object.entries(input)) {
    if (v === undefined) continue; // an absent option, as `{ pcid: undefined }` spells it
    const s = names.get(key);
    if (!s && key !== COST_OPTION) throw unknownOption(arch, key, valid);
    const canonical = s ? s.name : COST_OPTION;
    const prev = byName.get(canonical);
    if (prev) throw optionError(arch, canonical, 'given once', `given as '${prev[0]}' and as '${key}'`);
    byName.set(canonical, [key, v]);
    if (canonical === COST_OPTION) costIn = v;
  }
  const r = optionDefaults<Record<string, OptionValue>>(specs);
  for (const s of specs) {
    const g = byName.get(s.name);
    if (g && s.kind !== 'cost') r[s.name] = checkValue(arch, g[0], s, g[1]);
  }
  const cost = checkCostOverrides(arch, costIn);
  const options = r as R;
  const given = new Set([...byName.keys()].filter((k) => k !== COST_OPTION));
  def.derive?.(options, given);
  return { options, given, cost, label: def.label(options) };
}

const TRUE = ['on', 'true', 'yes', '1'];
const FALSE = ['off', 'false', 'no', '0'];
const SIZE = /^(\d+)([kmg])(i?b)?$/i;

/** A number as the command line writes it: `4096`, `0x1000`, `4k`, `2M`, `1GiB`. */
export function parseNumberText(raw: string): number {
  const s = raw.trim();
  const m = SIZE.exec(s);
  if (m) return Number(m[1]) * 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1);
  return s === '' ? NaN : Number(s);
}

/** One value from text, by its spec: booleans on/off/true/false/yes/no/1/0, enums in any case, numbers with k/m/g. */
function parseValue(arch: string, key: string, s: OptionSpec, raw: string): OptionValue {
  const r = raw.trim().toLowerCase();
  switch (s.kind) {
    case 'boolean':
      if (TRUE.includes(r)) return true;
      if (FALSE.includes(r)) return false;
      throw badValue(arch, key, 'one of on, off, true, false', raw);
    case 'enum': {
      for (const c of s.choices) if (String(c).toLowerCase() === r) return c;
      const numeric = s.choices.every((c) => typeof c === 'number');
      const n = parseNumberText(raw);
      // throws, naming the choices
      return checkValue(arch, key, s, numeric && !Number.isNaN(n) ? n : raw);
    }
    case 'integer': {
      const n = parseNumberText(raw);
      return checkValue(arch, key, s, Number.isNaN(n) ? raw : n);
    }
    case 'release': {
      const named = namedValues(s).find((c) => c.toLowerCase() === r);
      return checkValue(arch, key, s, named ?? raw.trim());
    }
    case 'cost':
      throw costFromText(arch, key, raw);
  }
}

/** `cost` is an object: text cannot give it. */
function costFromText(arch: string, key: string, raw: string): OptionError {
  return badValue(arch, key, `a cost-model object, set through the library API: ${arch}({ cost: { ... } })`, raw);
}

/**
 * Parse the options part of a command-line architecture (`pcid=off,ceiling=10`) into canonical
 * names and typed values, in the order given. The values still go through
 * {@link resolveArchOptions} when the backend is built.
 */
export function parseArchOptionText(arch: string, specs: readonly OptionSpec[], text: string): { name: string; value: OptionValue }[] {
  const names = nameTable(arch, specs);
  const out: { name: string; value: OptionValue }[] = [];
  const seen = new Map<string, string>();
  for (const kv of text ? text.split(',') : []) {
    const eq = kv.indexOf('=');
    const key = (eq < 0 ? kv : kv.slice(0, eq)).trim();
    if (!key) throw new OptionError(arch, '', `${arch}: empty option name (write ${arch}:NAME=VALUE,NAME=VALUE)`);
    const s = names.get(key);
    if (!s && key === COST_OPTION) throw costFromText(arch, key, eq < 0 ? '' : kv.slice(eq + 1));
    if (!s) throw unknownOption(arch, key, specs.map((x) => x.name));
    if (eq < 0) throw optionError(arch, key, `given a value (${arch}:${key}=VALUE)`);
    const prev = seen.get(s.name);
    if (prev !== undefined) throw optionError(arch, s.name, 'given once', `given as '${prev}' and as '${key}'`);
    seen.set(s.name, key);
    out.push({ name: s.name, value: parseValue(arch, key, s, kv.slice(eq + 1)) });
  }
  return out;
}

/** Check that a backend's specs are coherent: unique names, each default allowed by its kind. */
export function checkOptionSpecs(arch: string, specs: readonly OptionSpec[]): void {
  nameTable(arch, specs);
  for (const s of specs) {
    if (s.kind === 'cost') continue;
    try {
      checkValue(arch, s.name, s, s.default);
    } catch (e) {
      throw new Error(`${arch}: the default of option '${s.name}' is not allowed by its spec: ${(e as Error).message}`);
    }
  }
}
