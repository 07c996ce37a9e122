import { generic, KCONFIG_SYMBOLS, OptionError, parseArchOptionText, type ArchBackend, type CostModel, type OptionValue } from '@tlbsim/core';
import { x86 } from '@tlbsim/arch-x86';
import { arm64 } from '@tlbsim/arch-arm64';
import { ppc } from '@tlbsim/arch-ppc';
import { riscv } from '@tlbsim/arch-riscv';
import { UsageError, unknownChoice } from './errors.js';

type Factory = (opts: Record<string, OptionValue> & { cost?: Partial<CostModel> }) => ArchBackend;

/** Every backend the CLI offers, by its command-line name. */
export const FACTORIES: Record<string, Factory> = {
  x86: (o) => x86(o as never),
  arm64: (o) => arm64(o as never),
  ppc: (o) => ppc(o as never),
  riscv: (o) => riscv(o as never),
  generic: (o) => generic({ cost: o.cost }),
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
  /** cost figures overridden with --cost (estimatedNs only) */
  cost?: Partial<CostModel>;
  /** the machine's kernel release (--kernel, machine.kernel); absent: mainline (kernels.ts) */
  kernel?: string;
  /** kernel feature changes, `+ID` / `-ID` (--feature, machine.features) */
  features?: string[];
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

export function makeBackend(v: Pick<ArchVariant, 'name' | 'given' | 'id' | 'cost'>): ArchBackend {
  try {
    return FACTORIES[v.name](v.cost ? Object.assign({ cost: v.cost }, v.given) : v.given);
  } catch (e) {
    throw new UsageError(`--arch ${v.id}: ${(e as Error).message}`);
  }
}

function fmtChoice(c: OptionValue): string {
  return typeof c === 'boolean' ? (c ? 'on' : 'off') : String(c);
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
    const given: Record<string, OptionValue> = {};
    const parts: string[] = [];
    try {
      // names, aliases and values are checked by core's option resolver, as the library checks them
      for (const { name: key, value } of parseArchOptionText(name, defaultBackend(name).optionSpecs, rest)) {
        given[key] = value;
        parts.push(`${key}=${fmtChoice(value)}`);
      }
    } catch (e) {
      if (e instanceof OptionError) throw new UsageError(`--arch ${spec}: ${e.message}`);
      throw e;
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
