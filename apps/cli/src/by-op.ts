/**
 * `--by op`: which operation caused which flushes, IPIs and TLB instructions, on which CPUs (as
 * perf report splits samples by symbol). One table per architecture variant; the rows sum to the
 * totals `compare` prints.
 */
import type { OpMetrics } from '@tlbsim/core';
import type { Job, VariantRun } from './engine.js';
import { describeJob, type Format } from './common.js';
import { renderCsv, renderMarkdown, renderTable, useColor, type Grid } from './format/grid.js';

const COLUMNS = ['flushes', 'ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'violations'] as const;

/** The CPUs an operation touched: those that flushed, took an IPI or executed a TLB instruction. */
function cpusOf(o: OpMetrics): string {
  const ids = o.cpus.filter((c) => c.fullFlushes || c.rangedFlushes || c.ipisReceived || c.firmwareIpisReceived || Object.keys(c.instructions).length).map((c) => c.cpu);
  return ids.length ? ids.join(',') : '-';
}

function grid(run: VariantRun): Grid {
  const rows = (run.result.byOp ?? []).map((o) => [
    o.op,
    ...COLUMNS.map((k) => o.metrics[k]),
    Object.values(o.metrics.tlbInstructions).reduce((a, b) => a + b, 0),
    cpusOf(o),
  ]);
  return { header: ['operation', ...COLUMNS, 'tlbInstructions', 'CPUs'], rows };
}

export function formatByOp(job: Job, runs: readonly VariantRun[], format: Exclude<Format, 'json'>): string {
  const title = `${describeJob(job)}, by operation`;
  if (format === 'csv') {
    return runs.map((r) => renderCsv({ header: ['variant', ...grid(r).header], rows: grid(r).rows.map((row) => [r.variant.id, ...row]) })).join('');
  }
  const color = useColor(process.stdout);
  const parts = runs.map((r) => {
    const g = grid(r);
    return format === 'markdown' ? `#### ${r.variant.id}: ${r.result.label}\n\n${renderMarkdown(g)}` : `${r.variant.id}  ${r.result.label}\n${renderTable(g, { color })}\n`;
  });
  return `${format === 'markdown' ? '### ' : ''}${title}\n\n${parts.join('\n')}\ntlbInstructions: every TLB instruction the operation executed; CPUs: those that flushed, took an IPI or executed one.\n`;
}
