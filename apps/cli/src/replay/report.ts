import { agreement, type CallSite, type ComparisonRow, type SkippedLine, type TouchRule } from '@tlbsim/replay';
import type { Format } from '../common.js';
import { formatGrid } from '../metrics-table.js';
import type { View } from '../format/views.js';
import type { Job } from '../engine.js';
import { renderMarkdown, renderTable, useColor, type Grid } from '../format/grid.js';
import { resultsDocument } from '../report-data.js';
import type { ReplayRun } from './run.js';

/** call sites per variant and list in table and markdown output (json has the engine's 10) */
export const TOP_SHOWN = 5;
/** skipped lines listed on stderr (json lists the first 100) */
export const SKIPPED_SHOWN = 20;

export interface ReplayFacts {
  files: readonly string[];
  /** lines of each file */
  fileLines: readonly number[];
  touch: TouchRule;
  /** where the CPU count came from */
  cpusFrom: 'trace' | 'option';
}

/** A skipped line, merged over the variants: `variants` only when not every variant skipped it. */
export interface MergedSkip extends SkippedLine {
  variants?: string[];
}

/** The skipped lines of every variant, in order of first appearance (usually the same for all). */
export function mergeSkipped(runs: readonly ReplayRun[]): MergedSkip[] {
  const byKey = new Map<string, { s: SkippedLine; ids: string[] }>();
  for (const r of runs) {
    for (const s of r.result.skipped) {
      const key = `${s.file}\0${s.line}\0${s.reason}`;
      const e = byKey.get(key);
      if (e) e.ids.push(r.variant.id);
      else byKey.set(key, { s, ids: [r.variant.id] });
    }
  }
  return [...byKey.values()].slice(0, 100).map(({ s, ids }) => (ids.length === runs.length ? { ...s } : { ...s, variants: ids }));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function filesText(files: readonly string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.slice(0, 2).join(', ')} and ${files.length - 2} more files`;
}

/** The trace's facts (the same for every variant). */
function title(f: ReplayFacts, runs: readonly ReplayRun[]): string {
  const r = runs[0].result;
  const skipped = Math.max(...runs.map((x) => x.result.skippedCount));
  const cpus = `${plural(r.cpus.length, 'CPU')}${f.cpusFrom === 'trace' ? '' : ' (--cpus)'}`;
  return `replay of ${filesText(f.files)} (${plural(r.lines, 'line')}, ${plural(r.syscalls, 'syscall')}, ${r.failures} failed, ${skipped} skipped; ${plural(r.threads, 'thread')}, ${plural(r.processes, 'process', 'processes')}; ${cpus}; touch=${f.touch})`;
}

/** The `replay` section of the json document. */
function section(f: ReplayFacts, runs: readonly ReplayRun[]) {
  const r = runs[0].result;
  return {
    files: f.files.map((name, i) => ({ name, lines: f.fileLines[i] })),
    lines: r.lines,
    syscalls: r.syscalls,
    failures: r.failures,
    threads: r.threads,
    processes: r.processes,
    cpus: r.cpus.length,
    cpusFrom: f.cpusFrom,
    touch: f.touch,
    assumption: splitAssumption(runs).common,
    skippedCount: Math.max(...runs.map((x) => x.result.skippedCount)),
    skipped: mergeSkipped(runs),
    ...(r.recording ? { recording: { cpus: r.recording.cpus, faults: r.recording.faults, refusedFaults: r.recording.refusedFaults, lost: r.recording.lost, ...(r.recording.root !== undefined ? { root: r.recording.root } : {}) } } : {}),
  };
}

/** The json document: compare's, with a `replay` section and each result's call sites. */
export function replayDocument(f: ReplayFacts, runs: readonly ReplayRun[]) {
  const r = runs[0].result;
  const job: Job = { kind: 'workload', workload: 'replay', params: { touch: f.touch, cpus: r.cpus.length } };
  const doc = resultsDocument(job, runs, { replay: section(f, runs) });
  return {
    ...doc,
    results: doc.results.map((res, i) => {
      const cmp = runs[i].result.recording?.comparison;
      return { ...res, callSites: runs[i].result.callSites, ...(cmp ? { kernel: cmp } : {}) };
    }),
  };
}

type ListKey = 'byIpis' | 'byTlbInstructions';
const LISTS: { key: ListKey; heading: string; none: string }[] = [
  { key: 'byIpis', heading: 'Top call sites by IPIs', none: 'no line sent an IPI' },
  { key: 'byTlbInstructions', heading: 'Top call sites by TLB instructions', none: 'no line executed a TLB instruction' },
];

function sitesGrid(sites: readonly CallSite[], md: boolean): Grid {
  return {
    header: ['line', 'ipis', 'tlbInstructions', 'archFlushes', 'call'],
    rows: sites.slice(0, TOP_SHOWN).map((s) => [`${s.file}:${s.line}`, s.ipis, s.tlbInstructions, s.archFlushes, md ? `\`${s.text}\`` : s.text]),
  };
}

/** Runs grouped by identical text (the assumption names the address scaling, which can differ). */
function groups(runs: readonly ReplayRun[], text: (r: ReplayRun) => string): { ids: string[]; text: string }[] {
  const out = new Map<string, string[]>();
  for (const r of runs) {
    const t = text(r);
    out.set(t, [...(out.get(t) ?? []), r.variant.id]);
  }
  return [...out].map(([t, ids]) => ({ ids, text: t }));
}

const sentences = (text: string) => text.split(/(?<=\.) +/);

/**
 * The assumption, split into what every variant shares and what differs (the address layout:
 * ppc's 64 KiB pages scale trace addresses): `common` is the sentences all texts have, in order;
 * `own` the other sentences, grouped by the variants that have them.
 */
export function splitAssumption(runs: readonly ReplayRun[]): { common: string; own: { ids: string[]; text: string }[] } {
  const all = runs.map((r) => sentences(r.result.assumption));
  const shared = all[0].filter((s) => all.every((ss) => ss.includes(s)));
  const own = groups(runs, (r) => sentences(r.result.assumption).filter((s) => !shared.includes(s)).join(' ')).filter((g) => g.text);
  return { common: shared.join(' '), own };
}

/** Word-wrap a paragraph to `width` columns: the first line starts with `first`, the others with `rest`. */
export function wrap(text: string, width: number, first = '', rest = ''): string {
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (!empty && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = rest + w;
    } else cur = empty ? cur + w : `${cur} ${w}`;
    empty = false;
  }
  lines.push(cur);
  return lines.join('\n');
}

/** The variants whose prediction the recording's kernel events can be set against (x86's tlb:tlb_flush). */
function compared(runs: readonly ReplayRun[]): { r: ReplayRun; rows: ComparisonRow[] }[] {
  return runs.flatMap((r) => (r.variant.name === 'x86' && r.result.recording?.comparison ? [{ r, rows: r.result.recording.comparison }] : []));
}

const COMPARISON_HEADING = 'The kernel in the same run (recorded tlb:tlb_flush, ipi, csd: never an input) and the prediction, by what the thread was doing:';

function comparisonGrid(rows: readonly ComparisonRow[]): Grid {
  return {
    header: ['initiator', 'flushes kernel', 'flushes tlbsim', 'flushes', 'flush IPIs kernel', 'flush IPIs tlbsim', 'flush IPIs'],
    rows: rows.map((x) => [
      x.kind, x.recorded.flushes, x.predicted.flushes, agreement(x.recorded.flushes, x.predicted.flushes),
      x.recorded.ipis, x.predicted.ipis, agreement(x.recorded.ipis, x.predicted.ipis),
    ]),
  };
}

function tableSections(runs: readonly ReplayRun[]): string {
  const color = useColor(process.stdout);
  const out: string[] = [];
  const cmp = compared(runs);
  if (cmp.length) {
    out.push(COMPARISON_HEADING);
    for (const { r, rows } of cmp) {
      out.push(`  ${r.variant.id}:`);
      out.push(renderTable(comparisonGrid(rows), { color }).trimEnd().replace(/^/gm, '    '));
    }
    out.push('');
  }
  for (const l of LISTS) {
    out.push(`${l.heading} (the trace lines that cost the most, top ${TOP_SHOWN}; --format json has 10):`);
    if (runs.every((r) => r.result.callSites[l.key].length === 0)) {
      out.push(`  none: ${l.none}`, '');
      continue;
    }
    for (const r of runs) {
      const sites = r.result.callSites[l.key];
      if (!sites.length) {
        out.push(`  ${r.variant.id}: none`);
        continue;
      }
      out.push(`  ${r.variant.id}:`);
      out.push(renderTable(sitesGrid(sites, false), { color }).trimEnd().replace(/^/gm, '    '));
    }
    out.push('');
  }
  const a = splitAssumption(runs);
  out.push(wrap(`Assumption: ${a.common}`, 100, '', '  '));
  for (const g of a.own) out.push(wrap(`${g.ids.join(', ')}: ${g.text}`, 100, '  ', '    '));
  return out.join('\n') + '\n';
}

function markdownSections(runs: readonly ReplayRun[]): string {
  const out: string[] = [];
  const cmp = compared(runs);
  if (cmp.length) {
    out.push('#### The kernel in the same run', '', COMPARISON_HEADING, '');
    for (const { r, rows } of cmp) out.push(`**${r.variant.id}**`, '', renderMarkdown(comparisonGrid(rows)));
  }
  for (const l of LISTS) {
    out.push(`#### ${l.heading}`, '');
    if (runs.every((r) => r.result.callSites[l.key].length === 0)) {
      out.push(`None: ${l.none}.`, '');
      continue;
    }
    for (const r of runs) {
      const sites = r.result.callSites[l.key];
      if (!sites.length) out.push(`**${r.variant.id}**: none`, '');
      else out.push(`**${r.variant.id}**`, '', renderMarkdown(sitesGrid(sites, true)));
    }
  }
  const a = splitAssumption(runs);
  out.push('#### Assumption', '', a.common, '');
  for (const g of a.own) out.push(`- **${g.ids.join(', ')}**: ${g.text}`);
  if (a.own.length) out.push('');
  return out.join('\n');
}

/** The replay in any of the formats. */
export function formatReplay(f: ReplayFacts, runs: readonly ReplayRun[], format: Format, view?: View): string {
  if (format === 'json') return JSON.stringify(replayDocument(f, runs), null, 2) + '\n';
  const grid = formatGrid(title(f, runs), runs, format, { view, context: [['replay', [...f.files].sort().join(' ')], ['touch', f.touch]] });
  if (format === 'csv') return grid;
  if (format === 'markdown') return `${grid}\n${markdownSections(runs)}`;
  return `${grid}\n${tableSections(runs)}`;
}

/** Skipped lines, each with its file and line, and their count (stderr, for the non-json formats). */
export function skippedReport(runs: readonly ReplayRun[]): string {
  const counts = groups(runs, (r) => String(r.result.skippedCount));
  const most = Math.max(...runs.map((r) => r.result.skippedCount));
  if (most === 0) return '';
  const merged = mergeSkipped(runs);
  const out = merged.slice(0, SKIPPED_SHOWN).map((s) => `tlbsim: ${s.file}:${s.line}: skipped${s.variants ? ` on ${s.variants.join(', ')}` : ''}: ${s.reason}\n`);
  // every line is listed when no variant's list was cut at 100; otherwise the largest count
  const complete = runs.every((r) => r.result.skipped.length === r.result.skippedCount);
  const more = (complete ? merged.length : most) - Math.min(merged.length, SKIPPED_SHOWN);
  if (more > 0) out.push(`tlbsim: ... and ${more} more (--format json lists the first 100)\n`);
  const total = runs[0].result.lines;
  const how = '(--strict makes an unparseable line an error)';
  if (counts.length === 1) out.push(`tlbsim: ${most} of ${plural(total, 'line')} skipped ${how}\n`);
  else out.push(`tlbsim: lines skipped of ${total}: ${counts.map((g) => `${g.ids.join(', ')} ${g.text}`).join('; ')} ${how}\n`);
  return out.join('');
}
