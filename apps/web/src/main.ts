/**
 * The workbench page: controls, the URL fragment as the whole state, the metrics table and one
 * timeline per architecture. The simulator runs in a Web Worker (worker.ts); results arrive one
 * architecture at a time.
 */
import type { TraceEvent } from '@tlbsim/core';
import { MODELLED_RELEASES, parseScenario } from '@tlbsim/core';
import { WORKLOADS, findWorkload, type ParamSpec } from '../../cli/src/workloads/index.js';
import { brief, metricOf } from '../../cli/src/metrics-registry.js';
import type { ArchResult, RunRequest, WorkerMessage } from './protocol.js';
// the scenario the editor starts with: the documented example (docs/scenarios.md)
import EXAMPLE_SCENARIO from '../../../docs/examples/munmap.yaml?raw';
import { DEFAULT_STATE, parseHash, splitArches, toHash, type PageState } from './state.js';
import { drawTimeline, extent, gatherAt, type Window } from './timeline.js';

declare const __TLBSIM_VERSION__: string;
export const VERSION = __TLBSIM_VERSION__;
/** events a timeline keeps per architecture; the rest is counted, not drawn */
const EVENT_LIMIT = 200_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let state: PageState = parseHash(location.hash);
let requestId = 0;
let results: ArchResult[] = [];
const windows = new Map<string, Window>();
let timer: ReturnType<typeof setTimeout> | undefined;

$('version').textContent = `tlbsim ${VERSION}`;
for (const k of ['', ...[...MODELLED_RELEASES].reverse()]) {
  const o = document.createElement('option');
  o.value = k;
  o.textContent = k || "each backend's default";
  $<HTMLSelectElement>('kernel').appendChild(o);
}
for (const w of WORKLOADS) {
  const o = document.createElement('option');
  o.value = w.name;
  o.textContent = w.name;
  $<HTMLSelectElement>('workload').appendChild(o);
}

function paramInput(p: ParamSpec, value: string): HTMLElement {
  const label = document.createElement('label');
  label.title = p.description;
  label.append(`${p.name} `);
  let input: HTMLInputElement | HTMLSelectElement;
  if (p.type === 'enum' || p.type === 'bool') {
    input = document.createElement('select');
    for (const c of ['', ...(p.type === 'bool' ? ['true', 'false'] : (p.choices ?? []))]) {
      const o = document.createElement('option');
      o.value = c;
      o.textContent = c || `(default ${typeof p.default === 'function' ? (p.defaultText ?? 'derived') : String(p.default)})`;
      input.appendChild(o);
    }
  } else {
    input = document.createElement('input');
    input.type = 'number';
    if (p.min !== undefined) input.min = String(p.min);
    if (p.max !== undefined) input.max = String(p.max);
    input.placeholder = typeof p.default === 'function' ? (p.defaultText ?? '') : String(p.default);
  }
  input.name = p.name;
  input.value = value;
  input.dataset.param = p.name;
  input.addEventListener('change', () => {
    state.params[p.name] = input.value;
    changed();
  });
  label.appendChild(input);
  return label;
}

/** Show `state` in the controls. */
function renderForm(): void {
  const scenario = state.scenario !== null;
  $<HTMLInputElement>('controls').querySelectorAll<HTMLInputElement>('input[name=mode]').forEach((r) => (r.checked = r.value === (scenario ? 'scenario' : 'workload')));
  $('workload-box').hidden = scenario;
  $('scenario-box').hidden = !scenario;
  $<HTMLSelectElement>('workload').value = state.workload;
  let w;
  try {
    w = findWorkload(state.workload);
  } catch {
    w = findWorkload(DEFAULT_STATE.workload);
  }
  $('workload-summary').textContent = w.summary;
  $('params').replaceChildren(...w.params.map((p) => paramInput(p, state.params[p.name] ?? '')));
  $<HTMLInputElement>('arches').value = state.arches.join(',');
  $<HTMLSelectElement>('kernel').value = state.kernel;
  if (scenario) $<HTMLTextAreaElement>('scenario').value = state.scenario ?? '';
}

function changed(): void {
  history.replaceState(null, '', toHash(state));
  // the numbers shown are stale from now on, not only once the debounced run starts
  $('status').textContent = 'running…';
  $('status').dataset.state = 'running';
  clearTimeout(timer);
  timer = setTimeout(run, 150);
}

function showError(message: string | null): void {
  $('error').hidden = message === null;
  $('error').textContent = message ?? '';
}

function run(): void {
  if (state.scenario !== null) {
    try {
      parseScenario(state.scenario, 'scenario.yaml');
    } catch (e) {
      showError(e instanceof Error ? e.message : String(e));
      return;
    }
  }
  showError(null);
  requestId++;
  results = [];
  windows.clear();
  const sets = Object.entries(state.params).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`);
  const req: RunRequest = {
    id: requestId,
    job: state.scenario !== null ? { kind: 'scenario', yaml: state.scenario } : { kind: 'workload', workload: state.workload, sets },
    arches: state.arches,
    kernel: state.kernel,
    eventLimit: EVENT_LIMIT,
  };
  $('status').textContent = 'running…';
  $('status').dataset.state = 'running';
  worker.postMessage(req);
}

worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
  const m = e.data;
  if (m.id !== requestId) return;
  if (m.type === 'error') {
    showError(m.message);
    $('status').textContent = '';
    $('status').dataset.state = 'error';
  } else if (m.type === 'result') {
    results.push(m);
    render();
  } else {
    $('status').textContent = `computed by tlbsim ${VERSION} in ${m.ms} ms`;
    $('status').dataset.state = 'done';
  }
};

function render(): void {
  renderMetrics();
  $('timelines').replaceChildren(...results.map(renderArch));
}

function renderMetrics(): void {
  const keys: string[] = [];
  for (const r of results) for (const row of r.metrics) if (!keys.includes(row.key)) keys.push(row.key);
  // rows that are zero on every architecture say nothing (the CLI's --all shows them)
  const shown = keys.filter((k) => results.some((r) => (r.metrics.find((x) => x.key === k)?.value ?? 0) !== 0));
  const table = document.createElement('table');
  table.className = 'metrics';
  const head = table.createTHead().insertRow();
  head.appendChild(Object.assign(document.createElement('th'), { textContent: 'metric' }));
  for (const r of results) head.appendChild(Object.assign(document.createElement('th'), { textContent: r.variant, title: r.label }));
  const body = table.createTBody();
  for (const k of shown) {
    const tr = body.insertRow();
    const d = metricOf(k);
    const th = Object.assign(document.createElement('th'), { textContent: k, scope: 'row' });
    if (d) th.title = `${brief(d)} [${d.unit}]`;
    tr.appendChild(th);
    for (const r of results) {
      const td = tr.insertCell();
      td.className = 'num';
      const v = r.metrics.find((x) => x.key === k)?.value;
      td.textContent = v === undefined ? '-' : String(v);
      td.dataset.metric = k;
      td.dataset.variant = r.variant;
    }
  }
  $('metrics').replaceChildren(table);
}

function renderArch(r: ArchResult): HTMLElement {
  const box = document.createElement('div');
  box.className = 'arch';
  box.dataset.variant = r.variant;
  const h = document.createElement('h2');
  h.textContent = `${r.variant}: ${r.label}`;
  const win = windows.get(r.variant) ?? extent(r.events);
  windows.set(r.variant, win);
  const width = Math.max(480, Math.min(1400, document.body.clientWidth - 40));
  const drawn = drawTimeline(r.events, r.cpus, win, width, (ev) => pick(r, ev));
  const zoom = document.createElement('div');
  zoom.className = 'zoom';
  const button = (text: string, f: (w: Window) => Window) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text });
    b.addEventListener('click', () => {
      windows.set(r.variant, f(windows.get(r.variant)!));
      box.replaceWith(renderArch(r));
    });
    return b;
  };
  const full = extent(r.events);
  zoom.append(
    button('zoom in', (w) => ({ start: w.start + (w.end - w.start) / 4, end: w.end - (w.end - w.start) / 4 })),
    button('zoom out', (w) => ({ start: Math.max(full.start, w.start - (w.end - w.start) / 2), end: Math.min(full.end, w.end + (w.end - w.start) / 2) })),
    button('◀', (w) => shift(w, -(w.end - w.start) / 2, full)),
    button('▶', (w) => shift(w, (w.end - w.start) / 2, full)),
    button('all', () => full),
  );
  const caption = document.createElement('p');
  caption.className = 'hint';
  caption.textContent = `${drawn.drawn} events drawn${drawn.hidden ? `, ${drawn.hidden} overlapping` : ''}${r.droppedEvents ? `, ${r.droppedEvents} beyond the first ${EVENT_LIMIT} not kept` : ''}; ${r.findings.length} checker finding${r.findings.length === 1 ? '' : 's'}`;
  box.append(h, zoom, drawn.svg, caption);
  return box;
}

function shift(w: Window, by: number, full: Window): Window {
  const len = w.end - w.start;
  const start = Math.min(Math.max(full.start, w.start + by), Math.max(full.start, full.end - len));
  return { start, end: start + len };
}

function pick(r: ArchResult, ev: TraceEvent): void {
  const g = gatherAt(r.events, ev);
  const lines = [
    `${r.variant}  CPU${ev.cpu}  t=${ev.ts} ns${ev.dur ? `  (${ev.dur} ns)` : ''}`,
    `kernel function: ${ev.name}  [${ev.cat}]${ev.op ? `  in ${ev.op}` : ''}${ev.task ? `  task ${ev.task}` : ''}`,
    ...(ev.args ? [`args: ${JSON.stringify(ev.args)}`] : []),
    g ? `mmu_gather at that moment (${g.name} t=${g.ts}): ${JSON.stringify(g.args ?? {})}` : 'outside any mmu_gather',
  ];
  $('details-body').textContent = lines.join('\n');
  $('details').hidden = false;
}

$<HTMLSelectElement>('workload').addEventListener('change', (e) => {
  state.workload = (e.target as HTMLSelectElement).value;
  state.params = {};
  renderForm();
  changed();
});
$<HTMLInputElement>('arches').addEventListener('change', (e) => {
  state.arches = splitArches((e.target as HTMLInputElement).value.replace(/\s+/g, ''));
  changed();
});
$<HTMLSelectElement>('kernel').addEventListener('change', (e) => {
  state.kernel = (e.target as HTMLSelectElement).value;
  changed();
});
$<HTMLTextAreaElement>('scenario').addEventListener('input', (e) => {
  state.scenario = (e.target as HTMLTextAreaElement).value;
  changed();
});
$('controls').querySelectorAll<HTMLInputElement>('input[name=mode]').forEach((radio) =>
  radio.addEventListener('change', () => {
    state.scenario = radio.value === 'scenario' ? (state.scenario ?? EXAMPLE_SCENARIO) : null;
    renderForm();
    changed();
  }),
);
window.addEventListener('hashchange', () => {
  if (location.hash === toHash(state)) return;
  state = parseHash(location.hash);
  renderForm();
  run();
});


$('details-close').addEventListener('click', () => ($('details').hidden = true));

renderForm();
run();
