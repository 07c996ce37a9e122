import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORE_METRICS, FLUSH_FUNCTIONS, findMetric, generic, metricRegistry, roundSignificant } from '../src/index.js';

describe('estimatedNs rounding', () => {
  it('keeps 3 significant figures', () => {
    expect(roundSignificant(12357, 3)).toBe(12400);
    expect(roundSignificant(3460, 3)).toBe(3460);
    expect(roundSignificant(830, 3)).toBe(830);
    expect(roundSignificant(99.4, 3)).toBe(99);
    expect(roundSignificant(0, 3)).toBe(0);
    expect(roundSignificant(1_234_567, 3)).toBe(1_230_000);
  });
  it('never moves a value by more than half a unit of its third figure', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (x) => {
        const r = roundSignificant(x, 3);
        const unit = 10 ** Math.max(0, Math.floor(Math.log10(x)) - 2);
        expect(Math.abs(r - x)).toBeLessThanOrEqual(unit / 2);
      }),
    );
  });
});

describe('metric registry (core)', () => {
  it('lists the core metrics first, then the backend instructions and counters it is given', () => {
    const reg = metricRegistry([generic()], { wl: { hits: { unit: 'operations', definition: 'x', kernel: 'model only' } } });
    expect(reg.slice(0, Object.keys(CORE_METRICS).length).map((d) => d.key)).toEqual(Object.keys(CORE_METRICS));
    expect(reg.map((d) => d.key).slice(Object.keys(CORE_METRICS).length)).toEqual([
      'ipisReceived', 'firmwareIpisReceived', ...Object.keys(FLUSH_FUNCTIONS).map((f) => `flushesBy.${f}`),
      'tlbInstructions.local_flush_tlb_mm', 'tlbInstructions.local_flush_tlb_page', 'wl.hits',
    ]);
    expect(findMetric(reg, 'instructions.local_flush_tlb_page')?.backends).toEqual(['generic']);
  });
  it('merges a mnemonic two backends share into one row naming both', () => {
    const doc = { unit: 'instructions', definition: 'one', kernel: 'model only' } as const;
    const a = { name: 'a', metricDocs: { counters: {}, instructions: { X: doc } } };
    const b = { name: 'b', metricDocs: { counters: { c: doc }, instructions: { X: { ...doc, definition: 'two' } } } };
    const reg = metricRegistry([a, b]);
    expect(findMetric(reg, 'tlbInstructions.X')).toMatchObject({ backends: ['a', 'b'], definition: 'one' });
    expect(findMetric(reg, 'c')).toMatchObject({ key: 'counters.c', backends: ['b'] });
  });
});
