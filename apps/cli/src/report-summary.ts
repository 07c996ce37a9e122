/**
 * What the sweep's HTML report opens with: per metric, which architecture variant is cheapest
 * over the whole sweep (its values summed over the points) and by how much; and the topics its
 * charts are grouped under.
 */
import { sweepValue, type SweepData } from './sweep-data.js';

export interface Cheapest {
  metric: string;
  /** the variants that produce the metric, with their totals, cheapest first (ties in variant order) */
  totals: { variant: string; total: number }[];
  /** the cheapest variants (all of them when they tie) */
  cheapest: string[];
  /** the next total above the cheapest (undefined: every variant has the same total) */
  next?: { variants: string[]; total: number };
}

/** The cheapest variants of `metric` over the sweep; undefined when no variant produces it. */
export function cheapestOf(d: SweepData, metric: string): Cheapest | undefined {
  const totals: { variant: string; total: number }[] = [];
  d.variants.forEach((v, i) => {
    const vals = d.points.map((_, j) => sweepValue(d, j, i, metric));
    if (vals.every((x) => x === undefined)) return;
    totals.push({ variant: v.id, total: vals.reduce<number>((a, x) => a + (x ?? 0), 0) });
  });
  if (!totals.length) return undefined;
  const sorted = [...totals].sort((a, b) => a.total - b.total);
  const min = sorted[0].total;
  const cheapest = sorted.filter((t) => t.total === min).map((t) => t.variant);
  const above = sorted.find((t) => t.total > min);
  const next = above ? { variants: sorted.filter((t) => t.total === above.total).map((t) => t.variant), total: above.total } : undefined;
  return { metric, totals: sorted, cheapest, next };
}

/** "by how much" in words: `25% less than x86 (3 against 4)`, `none, against 4 for x86`, or why there is no comparison. */
export function byHowMuch(c: Cheapest): string {
  if (c.totals.length === 1) return `only ${c.cheapest[0]} has it`;
  if (!c.next) return `the same on all (${fmt(c.totals[0].total)})`;
  const min = c.totals[0].total;
  const names = c.next.variants.join(', ');
  if (min === 0) return `none, against ${fmt(c.next.total)} for ${names}`;
  const pct = Math.round(((c.next.total - min) / c.next.total) * 100);
  return `${pct}% less than ${names} (${fmt(min)} against ${fmt(c.next.total)})`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The topic a metric's chart is shown under, in the report's order. */
export const TOPICS = ['Flushes', 'IPIs and interrupts', 'TLB instructions', 'Freeing memory', 'Time', 'Kernel counters', 'Workload statistics', 'Checker'] as const;
export type Topic = (typeof TOPICS)[number];

export function topicOf(key: string): Topic {
  if (key === 'flushes' || key.startsWith('flushesBy.') || key === 'fullFlushes' || key === 'rangedFlushes' || key === 'forcedFlushes') return 'Flushes';
  if (key === 'ipis' || key === 'firmwareIpis' || key === 'ipiBroadcasts' || key.startsWith('counters.interrupts.')) return 'IPIs and interrupts';
  if (key.startsWith('tlbInstructions.')) return 'TLB instructions';
  if (key === 'pagesFreed' || key === 'tablesFreed' || key === 'rcuCallbacks' || key === 'batchPagesAllocated') return 'Freeing memory';
  if (key === 'estimatedNs') return 'Time';
  if (key.startsWith('counters.')) return 'Kernel counters';
  if (key === 'violations') return 'Checker';
  return 'Workload statistics';
}
