import { generic, KCONFIG_SYMBOLS, didYouMean, type ArchBackend, type OptionSpec } from '@tlbsim/core';
import { x86 } from '@tlbsim/arch-x86';
import { arm64 } from '@tlbsim/arch-arm64';
import { ppc } from '@tlbsim/arch-ppc';
import { riscv } from '@tlbsim/arch-riscv';
import { UsageError, unknownChoice } from './errors.js';

type OptionValue = string | number | boolean;
type Factory = (opts: Record<string, OptionValue>) => ArchBackend;

/** Every backend the CLI offers, by its command-line name. */
export const FACTORIES: Record<string, Factory> = {
  x86: (o) => x86(o as never),
  arm64: (o) => arm64(o as never),
  ppc: (o) => ppc(o as never),
  riscv: (o) => riscv(o as never),
  generic: () => generic(),
};
export const ARCH_NAMES = Object.keys(FACTORIES);
/** `all`, and the default when no --arch is given */
export const ALL_ARCHES = ['x86', 'arm64', 'ppc', 'riscv'];

/** One column of a comparison: a backend with the options the user gave. */
export interface ArchVariant {
  /** normalized spec, unique per column: `x86`, `x86:invlpgb=on` */
  id: string;
  name: string;
  /** the options as given (parsed to their types) */
  given: Record<string, OptionValue>;
}

const defaults = new Map<string, ArchBackend>();
/** The backend with default options (for its option specs, label and Kconfig). */
export function defaultBackend(name: string): ArchBackend {
  let b = defaults.get(name);
  if (!b) {
    b = FACTORIES[name]({});
    defaults.set(name, b);
  }
  return b;
}

export function makeBackend(v: Pick<ArchVariant, 'name' | 'given' | 'id'>): ArchBackend {
  try {
    return FACTORIES[v.name](v.given);
  } catch (e) {
    throw new UsageError(`--arch ${v.id}: ${(e as Error).message}`);
  }
}

const TRUE = ['on', 'true', 'yes', '1'];
const FALSE = ['off', 'false', 'no', '0'];
const SIZE = /^(\d+)([kmg])(i?b)?$/i;

function parseNumber(raw: string): number {
  const s = raw.trim();
  const m = SIZE.exec(s);
  if (m) return Number(m[1]) * 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1);
  return s === '' ? NaN : Number(s);
}

function fmtChoice(c: OptionValue): string {
  return typeof c === 'boolean' ? (c ? 'on' : 'off') : String(c);
}

/** Parse one option value by its spec: booleans on/off/true/false, numbers, enums. */
export function parseOptionValue(arch: string, spec: OptionSpec, raw: string): OptionValue {
  const where = `option ${arch}:${spec.name}`;
  const r = raw.trim().toLowerCase();
  if (typeof spec.default === 'boolean') {
    if (TRUE.includes(r)) return true;
    if (FALSE.includes(r)) return false;
    throw new UsageError(`${where} is a boolean: use on/off or true/false, got "${raw}"`);
  }
  if (spec.choices && spec.choices.length) {
    for (const c of spec.choices) if (String(c).toLowerCase() === r) return c;
    if (spec.choices.every((c) => typeof c === 'number')) {
      const n = parseNumber(raw);
      if (spec.choices.includes(n)) return n;
    }
    const valid = spec.choices.map(fmtChoice);
    throw new UsageError(`${where} cannot be "${raw}"${didYouMean(raw, valid)}; valid values: ${valid.join(', ')}`);
  }
  if (typeof spec.default === 'number') {
    const n = parseNumber(raw);
    if (!Number.isFinite(n)) throw new UsageError(`${where} is a number, got "${raw}"`);
    return n;
  }
  return raw;
}

/** Parse `--arch` values: `x86`, `all`, `arm64:granule=64k,tlbiRange=on`. None given: all. */
export function parseArchSpecs(specs: readonly string[]): ArchVariant[] {
  const out: ArchVariant[] = [];
  const seen = new Set<string>();
  const push = (v: ArchVariant) => {
    if (seen.has(v.id)) return; // the same column twice adds nothing
    seen.add(v.id);
    out.push(v);
  };
  for (const spec of specs.length ? specs : ['all']) {
    const colon = spec.indexOf(':');
    const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
    const rest = colon < 0 ? '' : spec.slice(colon + 1);
    if (name === 'all') {
      if (rest) throw new UsageError(`--arch all takes no options (give them per architecture, e.g. --arch x86:${rest})`);
      for (const n of ALL_ARCHES) push({ id: n, name: n, given: {} });
      continue;
    }
    if (!Object.hasOwn(FACTORIES, name)) throw unknownChoice('architecture', name, [...ARCH_NAMES, 'all'], 'architectures');
    const specsByName = new Map(defaultBackend(name).optionSpecs.map((s) => [s.name, s]));
    const given: Record<string, OptionValue> = {};
    const parts: string[] = [];
    for (const kv of rest ? rest.split(',') : []) {
      const eq = kv.indexOf('=');
      const key = (eq < 0 ? kv : kv.slice(0, eq)).trim();
      const valid = [...specsByName.keys()];
      if (!key) throw new UsageError(`--arch ${spec}: empty option (use ${name}:key=value,key=value)`);
      const os = specsByName.get(key);
      if (!os) {
        if (!valid.length) throw new UsageError(`unknown option "${key}" for architecture ${name}: ${name} has no options`);
        throw new UsageError(`unknown option "${key}" for architecture ${name}${didYouMean(key, valid)}; valid options: ${valid.join(', ')}`);
      }
      if (eq < 0) throw new UsageError(`--arch ${spec}: option ${key} needs a value (${name}:${key}=VALUE)`);
      if (key === 'cost') throw new UsageError(`option ${name}:cost takes a cost-model object: set it through the library API (${name}({ cost: {...} }))`);
      const value = parseOptionValue(name, os, kv.slice(eq + 1));
      given[key] = value;
      parts.push(`${key}=${fmtChoice(value)}`);
    }
    const v: ArchVariant = { id: parts.length ? `${name}:${parts.join(',')}` : name, name, given };
    makeBackend(v); // reject combinations the factory refuses, now, as bad input
    push(v);
  }
  return out;
}

/** The Kconfig symbols a backend selects (true), in the kernel's order. */
export function selectedKconfig(b: ArchBackend): string[] {
  return KCONFIG_SYMBOLS.filter((k) => b.kconfig[k]);
}

export { fmtChoice };
