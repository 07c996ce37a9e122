import { oneOf, parse, str } from '../args.js';
import { ALL_ARCHES, ARCH_NAMES, defaultBackend, fmtChoice, selectedKconfig } from '../arches.js';
import { UsageError, unknownChoice } from '../errors.js';
import { bold, renderMarkdown, renderTable, useColor } from '../format/grid.js';
import { costRows } from '../costs.js';
import { commandHelp } from '../help.js';
import { defaultText, findWorkload, WORKLOADS, type ParamSpec, type Workload } from '../workloads/index.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

function rangeText(s: ParamSpec): string {
  if (s.type === 'bool') return 'true | false';
  if (s.type === 'enum') return s.choices!.join(' | ');
  return `${s.min} .. ${s.max}`;
}

function paramJson(s: ParamSpec) {
  return {
    name: s.name,
    type: s.type,
    default: typeof s.default === 'function' ? null : s.default,
    defaultText: defaultText(s),
    ...(s.min !== undefined ? { min: s.min, max: s.max } : {}),
    ...(s.choices ? { choices: s.choices } : {}),
    description: s.description,
  };
}

/** tlbsim workloads [NAME] */
export function workloads(argv: string[]): number {
  const { values, positionals } = parse('workloads', argv);
  if (values.help) {
    process.stdout.write(commandHelp('workloads'));
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('tlbsim workloads takes at most one workload name');
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'text');
  const list: readonly Workload[] = positionals.length ? [findWorkload(positionals[0])] : WORKLOADS;
  if (format === 'json') {
    const doc = list.map((w) => ({ name: w.name, summary: w.summary, details: w.details ?? '', params: w.params.map(paramJson) }));
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  const color = useColor(process.stdout);
  if (format === 'text' && !positionals.length) {
    // the list: one line each (the parameters are one `tlbsim workloads NAME` away)
    const width = Math.max(...list.map((w) => w.name.length));
    const lines = list.map((w) => `${bold(color, w.name.padEnd(width))}  ${w.summary}`);
    process.stdout.write(`${lines.join('\n')}\n\ntlbsim workloads NAME: what NAME does and its parameters (--set NAME=VALUE) with defaults and ranges\n`);
    return 0;
  }
  let o = '';
  for (const w of list) {
    if (format === 'markdown') {
      const g = { header: ['parameter', 'default', 'values', 'description'], rows: w.params.map((s) => [s.name, defaultText(s), rangeText(s), s.description]) };
      o += `## ${w.name}\n\n${w.summary}\n\n${w.details ? w.details + '\n\n' : ''}${renderMarkdown(g)}\n`;
      continue;
    }
    o += `${bold(color, w.name)}: ${w.summary}\n${w.details ? wrap(w.details, 100, '  ') + '\n' : ''}`;
    o += `\n  parameters (--set NAME=VALUE):\n`;
    const lhs = w.params.map((s) => `${s.name} = ${defaultText(s)}`);
    const width = Math.max(...lhs.map((l) => l.length));
    w.params.forEach((s, i) => {
      o += `    ${bold(color, lhs[i].padEnd(width))}  ${rangeText(s)}\n${wrap(s.description, 100, `    ${' '.repeat(width)}  `)}\n`;
    });
    o += '\n';
  }
  process.stdout.write(o);
  return 0;
}

/** tlbsim arches [NAME] */
export function arches(argv: string[]): number {
  const { values, positionals } = parse('arches', argv);
  if (values.help) {
    process.stdout.write(commandHelp('arches'));
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('tlbsim arches takes at most one architecture name');
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'text');
  for (const n of positionals) if (!ARCH_NAMES.includes(n)) throw unknownChoice('architecture', n, ARCH_NAMES, 'architectures');
  const names = positionals.length ? positionals : ARCH_NAMES;
  if (values.costs) return printCosts(names, format);
  const info = names.map((n) => {
    const b = defaultBackend(n);
    return {
      name: n,
      inAll: ALL_ARCHES.includes(n),
      label: b.label,
      pageSize: 2 ** b.geometry.pageShift,
      levels: b.geometry.levels.filter((l) => l.folding === 'none').map((l) => l.name),
      hugePageSizes: b.hugePageSizes,
      options: b.optionSpecs.map((s) => ({ name: s.name, default: s.default, ...(s.choices ? { choices: s.choices } : {}), description: s.description })),
      kconfig: selectedKconfig(b),
      perCpuCounters: b.perCpuCounters,
    };
  });
  if (format === 'json') {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const color = useColor(process.stdout);
  let o = '';
  for (const a of info) {
    const size = (n: number) => (n >= 2 ** 30 ? `${n / 2 ** 30}G` : n >= 2 ** 20 ? `${n / 2 ** 20}M` : `${n / 1024}K`);
    const head = [
      `label: ${a.label}${a.inAll ? '' : ' (not in --arch all)'}`,
      `page size: ${size(a.pageSize)}, page-table levels: ${a.levels.join(' ')}, hugetlb sizes: ${a.hugePageSizes.map(size).join(' ') || 'none'}`,
      `Kconfig selected: ${a.kconfig.join(' ') || '(none)'}`,
      ...(a.perCpuCounters.length ? [`per-CPU counters: ${a.perCpuCounters.join(' ')}`] : []),
    ];
    const values = (x: (typeof a.options)[number]) =>
      x.name === 'cost' ? 'an object (library API only)' : x.choices ? x.choices.map(fmtChoice).join(' | ') : typeof x.default === 'number' ? 'a number' : 'text';
    if (format === 'markdown') {
      const g = { header: ['option', 'default', 'values', 'description'], rows: a.options.map((x) => [x.name, fmtChoice(x.default), values(x), x.description]) };
      o += `## ${a.name}\n\n${head.map((h) => `- ${h}`).join('\n')}\n\n${a.options.length ? renderMarkdown(g) : 'No options.\n'}\n`;
      continue;
    }
    o += `${bold(color, a.name)}\n${head.map((h) => `  ${h}`).join('\n')}\n`;
    if (!a.options.length) {
      o += '  options: none\n\n';
      continue;
    }
    o += `\n  options (--arch ${a.name}:NAME=VALUE,...):\n`;
    const lhs = a.options.map((x) => `${x.name} = ${fmtChoice(x.default)}`);
    const w = Math.max(...lhs.map((l) => l.length));
    a.options.forEach((x, i) => {
      o += `    ${bold(color, lhs[i].padEnd(w))}  ${values(x)}\n    ${' '.repeat(w)}  ${x.description}\n`;
    });
    o += '\n';
  }
  process.stdout.write(o);
  return 0;
}

function wrap(s: string, width: number, by: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of s.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(by + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(by + line);
  return out.join('\n');
}

/** tlbsim arches --costs: each backend's cost figures with their sources. */
function printCosts(names: readonly string[], format: (typeof FORMATS)[number]): number {
  const tables = names.map((n) => ({ name: n, label: defaultBackend(n).label, costs: costRows(defaultBackend(n)) }));
  if (format === 'json') {
    process.stdout.write(JSON.stringify(tables, null, 2) + '\n');
    return 0;
  }
  const color = useColor(process.stdout);
  let o = '';
  for (const t of tables) {
    const g = { header: ['figure', 'ns', 'prices', 'source'], rows: t.costs.map((c) => [c.key, c.ns, c.what, c.source]) };
    if (format === 'markdown') o += `## ${t.name}: ${t.label}\n\n${renderMarkdown(g)}\n`;
    else o += `${bold(color, t.name)}  ${t.label}\n${renderTable(g, { color })}\n\n`;
  }
  process.stdout.write(o + (format === 'markdown' ? '' : 'estimatedNs is a model estimate: the sum of these figures times the counts. Override with --cost ARCH:KEY=NS.\n'));
  return 0;
}
