import { describe, expect, it } from 'vitest';
import {
  OptionError, checkCostOverrides, checkOptionSpecs, defineArch, generic, optionDefaults, optionError, parseArchOptionText,
  resolveArchOptions, type ArchOptionsDef, type OptionSpec,
} from '../src/index.js';

/** A made-up backend with one option of each kind, a dependent default and a cross-option rule. */
const SPECS: readonly OptionSpec[] = [
  { name: 'fast', kind: 'boolean', description: 'a boolean', default: true, choices: [true, false] },
  { name: 'mode', kind: 'enum', description: 'a string enum', default: 'radix', choices: ['radix', 'hash'] },
  { name: 'pageSize', kind: 'enum', unit: 'bytes', description: 'a numeric enum', default: 65536, choices: [65536, 4096] },
  { name: 'ceiling', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'pages', aliases: ['tlbSinglePageFlushCeiling'], description: 'unbounded', default: 33 },
  { name: 'count', kind: 'integer', min: 1, max: 100, description: 'bounded', default: 8 },
  { name: 'errata', kind: 'enum', description: 'default follows mode', default: 'none', choices: ['none', 'erat'] },
  { name: 'cost', kind: 'cost', description: 'cost overrides', default: 'defaults' },
];
interface R {
  fast: boolean;
  mode: 'radix' | 'hash';
  pageSize: number;
  ceiling: number;
  count: number;
  errata: 'none' | 'erat';
}
const DEF: ArchOptionsDef<R> = {
  arch: 'toy',
  specs: SPECS,
  derive(r, given) {
    if (!given.has('errata') && r.mode === 'hash') r.errata = 'erat';
    if (r.mode === 'hash' && !r.fast) throw optionError('toy', 'fast', "true with mode 'hash'", 'hash needs it');
  },
  label: (r) => `toy ${r.mode}${r.ceiling !== 33 ? ` ceiling ${r.ceiling}` : ''}`,
};
const resolve = (input: unknown) => resolveArchOptions(DEF, input);
const msg = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
};

describe('resolveArchOptions: defaults, kinds, aliases, label', () => {
  it('fills every default in spec order, cost aside, and builds the label', () => {
    const r = resolve(undefined);
    expect(r.options).toEqual({ fast: true, mode: 'radix', pageSize: 65536, ceiling: 33, count: 8, errata: 'none' });
    expect(Object.keys(r.options)).toEqual(['fast', 'mode', 'pageSize', 'ceiling', 'count', 'errata']);
    expect([...r.given]).toEqual([]);
    expect(r.cost).toBeUndefined();
    expect(r.label).toBe('toy radix');
    expect(optionDefaults(SPECS)).toEqual(r.options);
  });
  it('takes a value of each kind; an undefined value is an absent option', () => {
    const r = resolve({ fast: false, mode: 'radix', pageSize: 4096, ceiling: 0, count: 100, fastX: undefined });
    expect(r.options).toMatchObject({ fast: false, pageSize: 4096, ceiling: 0, count: 100 });
    expect([...r.given]).toEqual(['fast', 'mode', 'pageSize', 'ceiling', 'count']);
  });
  it('derive sees the given names: a default that follows another option, and a cross-option rule', () => {
    expect(resolve({ mode: 'hash' }).options.errata).toBe('erat');
    expect(resolve({ mode: 'hash', errata: 'none' }).options.errata).toBe('none');
    expect(msg(() => resolve({ mode: 'hash', fast: false }))).toBe("toy: option 'fast' must be true with mode 'hash' (hash needs it)");
  });
  it('an alias sets the canonical option; both names at once is an error', () => {
    const r = resolve({ tlbSinglePageFlushCeiling: 10 });
    expect(r.options.ceiling).toBe(10);
    expect([...r.given]).toEqual(['ceiling']);
    expect(r.label).toBe('toy radix ceiling 10');
    expect(msg(() => resolve({ ceiling: 1, tlbSinglePageFlushCeiling: 2 }))).toBe(
      "toy: option 'ceiling' must be given once (given as 'ceiling' and as 'tlbSinglePageFlushCeiling')",
    );
  });
  it('cost: validated, returned, never among the options', () => {
    const r = resolve({ cost: { ipiSend: 5, instructions: { INVLPG: 0 } } });
    expect(r.cost).toEqual({ ipiSend: 5, instructions: { INVLPG: 0 } });
    expect('cost' in r.options).toBe(false);
  });
});

describe('resolveArchOptions: one error format', () => {
  it.each([
    [{ fast: 'yes' }, "toy: option 'fast' must be one of true, false (got 'yes')"],
    [{ mode: 'hsah' }, "toy: option 'mode' must be one of 'radix', 'hash' (got 'hsah'; did you mean 'hash'?)"],
    [{ mode: 'vmware' }, "toy: option 'mode' must be one of 'radix', 'hash' (got 'vmware')"],
    [{ pageSize: 8192 }, "toy: option 'pageSize' must be one of 65536, 4096 (got 8192)"],
    [{ pageSize: '4096' }, "toy: option 'pageSize' must be one of 65536, 4096 (got '4096')"],
    [{ ceiling: -1 }, "toy: option 'ceiling' must be an integer >= 0 (got -1)"],
    [{ ceiling: 1.5 }, "toy: option 'ceiling' must be an integer >= 0 (got 1.5)"],
    [{ tlbSinglePageFlushCeiling: -1 }, "toy: option 'tlbSinglePageFlushCeiling' must be an integer >= 0 (got -1)"],
    [{ count: 0 }, "toy: option 'count' must be an integer from 1 to 100 (got 0)"],
    [{ count: 101 }, "toy: option 'count' must be an integer from 1 to 100 (got 101)"],
    [{ count: '8' }, "toy: option 'count' must be an integer from 1 to 100 (got '8')"],
    [{ cout: 8 }, "toy: unknown option 'cout' (did you mean 'count'? valid options: fast, mode, pageSize, ceiling, count, errata, cost)"],
    [{ zzzzzz: 1 }, "toy: unknown option 'zzzzzz' (valid options: fast, mode, pageSize, ceiling, count, errata, cost)"],
    [42, 'toy: options must be an object (got 42)'],
    [null, 'toy: options must be an object (got null)'],
    [[1], 'toy: options must be an object (got [1])'],
  ])('%j -> %s', (input, expected) => {
    expect(msg(() => resolve(input))).toBe(expected);
  });
  it('the error names the backend and the option as given', () => {
    try {
      resolve({ tlbSinglePageFlushCeiling: -1 });
    } catch (e) {
      expect((e as OptionError).arch).toBe('toy');
      expect((e as OptionError).option).toBe('tlbSinglePageFlushCeiling');
    }
    expect.assertions(2);
  });
  it('cost is accepted by a backend whose specs do not list it', () => {
    const bare: ArchOptionsDef<object> = { arch: 'bare', specs: [SPECS[0]], label: () => 'bare' };
    expect(resolveArchOptions(bare, { cost: { pageFree: 1 } }).cost).toEqual({ pageFree: 1 });
    expect(msg(() => resolveArchOptions(bare, { x: 1 }))).toBe("bare: unknown option 'x' (valid options: fast, cost)");
  });
});

describe('checkCostOverrides', () => {
  const keys = 'ipiSend, ipiPerTarget, instructions, defaultInstruction, pageFree, tableFree, rcuCallback, sources';
  it.each([
    [5, `x: option 'cost' must be an object with any of ${keys} (got 5)`],
    [{ ipi: 5 }, `x: option 'cost' must be an object with any of ${keys} (got unknown key 'ipi')`],
    [{ ipiSend: -5 }, "x: option 'cost.ipiSend' must be a number >= 0 (got -5)"],
    [{ ipiSend: 'fast' }, "x: option 'cost.ipiSend' must be a number >= 0 (got 'fast')"],
    [{ instructions: 3 }, "x: option 'cost.instructions' must be an object (got 3)"],
    [{ instructions: { INVLPG: -1 } }, "x: option 'cost.instructions.INVLPG' must be a number >= 0 (got -1)"],
    [{ sources: { ipiSend: 1 } }, "x: option 'cost.sources.ipiSend' must be a string (got 1)"],
  ])('%j -> %s', (cost, expected) => {
    expect(msg(() => checkCostOverrides('x', cost))).toBe(expected);
  });
  it('undefined: no overrides', () => {
    expect(checkCostOverrides('x', undefined)).toBeUndefined();
  });
  it('generic() checks its cost the same way', () => {
    expect(msg(() => generic({ cost: { ipiSend: -1 } }))).toBe("generic: option 'cost.ipiSend' must be a number >= 0 (got -1)");
  });
});

describe('parseArchOptionText: the command line', () => {
  const parse = (t: string) => parseArchOptionText('toy', SPECS, t);
  it('booleans on/off/true/false/yes/no/1/0 in any case, enums in any case, numbers with k/m/g', () => {
    expect(parse('fast=OFF,mode=Hash,pageSize=4k,ceiling=0x10,count=1e1')).toEqual([
      { name: 'fast', value: false },
      { name: 'mode', value: 'hash' },
      { name: 'pageSize', value: 4096 },
      { name: 'ceiling', value: 16 },
      { name: 'count', value: 10 },
    ]);
    for (const t of ['on', 'true', 'YES', '1']) expect(parse(`fast=${t}`)).toEqual([{ name: 'fast', value: true }]);
    for (const t of ['off', 'false', 'no', '0']) expect(parse(`fast=${t}`)).toEqual([{ name: 'fast', value: false }]);
    expect(parse('ceiling=2M')).toEqual([{ name: 'ceiling', value: 2 ** 21 }]);
    expect(parse('')).toEqual([]);
  });
  it('an alias gives the canonical name', () => {
    expect(parse('tlbSinglePageFlushCeiling=10')).toEqual([{ name: 'ceiling', value: 10 }]);
  });
  it.each([
    ['fast=maybe', "toy: option 'fast' must be one of on, off, true, false (got 'maybe')"],
    ['mode=hsah', "toy: option 'mode' must be one of 'radix', 'hash' (got 'hsah'; did you mean 'hash'?)"],
    ['pageSize=8k', "toy: option 'pageSize' must be one of 65536, 4096 (got 8192)"],
    ['pageSize=big', "toy: option 'pageSize' must be one of 65536, 4096 (got 'big')"],
    ['ceiling=-1', "toy: option 'ceiling' must be an integer >= 0 (got -1)"],
    ['count=lots', "toy: option 'count' must be an integer from 1 to 100 (got 'lots')"],
    ['count=', "toy: option 'count' must be an integer from 1 to 100 (got '')"],
    ['count', "toy: option 'count' must be given a value (toy:count=VALUE)"],
    ['fast=on,', 'toy: empty option name (write toy:NAME=VALUE,NAME=VALUE)'],
    ['cout=1', "toy: unknown option 'cout' (did you mean 'count'? valid options: fast, mode, pageSize, ceiling, count, errata, cost)"],
    ['fast=on,fast=off', "toy: option 'fast' must be given once (given as 'fast' and as 'fast')"],
    ['ceiling=1,tlbSinglePageFlushCeiling=2', "toy: option 'ceiling' must be given once (given as 'ceiling' and as 'tlbSinglePageFlushCeiling')"],
    ['cost=5', "toy: option 'cost' must be a cost-model object, set through the library API: toy({ cost: { ... } }) (got '5')"],
  ])('%s -> %s', (text, expected) => {
    expect(msg(() => parse(text))).toBe(expected);
  });
  it('cost is refused as text even where the specs do not list it; no specs: no options', () => {
    expect(msg(() => parseArchOptionText('bare', [], 'cost=1'))).toBe(
      "bare: option 'cost' must be a cost-model object, set through the library API: bare({ cost: { ... } }) (got '1')",
    );
    expect(msg(() => parseArchOptionText('bare', [], 'foo=1'))).toBe("bare: unknown option 'foo' (bare has no options)");
  });
});

describe('checkOptionSpecs and defineArch', () => {
  it('refuses a default its spec does not allow, and a name declared twice', () => {
    expect(() => checkOptionSpecs('t', [{ name: 'n', kind: 'integer', min: 1, max: 4, description: '', default: 0 }])).toThrow(
      "t: the default of option 'n' is not allowed by its spec: t: option 'n' must be an integer from 1 to 4 (got 0)",
    );
    expect(() => checkOptionSpecs('t', [SPECS[0], { ...SPECS[1], aliases: ['fast'] }])).toThrow("t: option name 'fast' is declared twice");
  });
  it('defineArch: options must hold exactly the specs in spec order', () => {
    const base = generic();
    expect(defineArch({ ...base, optionSpecs: [SPECS[0]], options: { fast: true } }).options).toEqual({ fast: true });
    expect(() => defineArch({ ...base, optionSpecs: [SPECS[0], SPECS[1]], options: { mode: 'radix', fast: true } })).toThrow(
      'generic: options (mode, fast) differ from the option specs (fast, mode)',
    );
  });
});

describe("the 'release' kind: any modelled kernel release, kept as given", () => {
  const specs: readonly OptionSpec[] = [{ name: 'kernel', kind: 'release', description: 'a release', default: '7.1', choices: ['6.1', '7.1'] }];
  const def: ArchOptionsDef<{ kernel: string }> = { arch: 'toy', specs, label: (r) => `toy ${r.kernel}` };
  it('takes a stable release, a v-spelling and mainline, from a library object and from text', () => {
    expect(resolveArchOptions(def, { kernel: '6.18.44' }).options).toEqual({ kernel: '6.18.44' });
    expect(resolveArchOptions(def, { kernel: 'v6.15' }).options).toEqual({ kernel: 'v6.15' });
    expect(resolveArchOptions(def, {}).options).toEqual({ kernel: '7.1' });
    expect(parseArchOptionText('toy', specs, 'kernel=mainline')).toEqual([{ name: 'kernel', value: 'mainline' }]);
  });
  it.each([
    [{ kernel: '5.15' }, "toy: option 'kernel' must be a kernel release from 6.1 to 7.1 (kernel 5.15 is older than the oldest modelled release, 6.1)"],
    [{ kernel: 'six' }, "toy: option 'kernel' must be a kernel release from 6.1 to 7.1 (not a kernel release: 'six' (expected e.g. 6.1, 6.18.44 or mainline))"],
    [{ kernel: 61 }, "toy: option 'kernel' must be a kernel release from 6.1 to 7.1 (got 61)"],
  ])('%j is refused by name', (input, text) => {
    expect(msg(() => resolveArchOptions(def, input))).toBe(text);
  });
});
