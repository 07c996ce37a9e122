/**
 * One architecture's run as a timeline: a lane per CPU, each operation a span, flushes and TLB
 * instructions as ticks, IPIs as arrows from the sender's lane to each target's, page-table and
 * gather events as marks, checker findings in red at the moment they happened. Only the events
 * inside the visible window are drawn, and at most one mark per pixel column and kind, so a run
 * of any length stays responsive (the rest is counted in the caption).
 */
import type { TraceEvent } from '@tlbsim/core';

export interface Window {
  start: number;
  end: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const LANE = 28;
const LEFT = 56;

type Kind = 'op' | 'flush' | 'ipi' | 'instr' | 'gather' | 'finding' | 'other';

export function kindOf(e: TraceEvent): Kind {
  if (e.name === 'violation') return 'finding';
  if (e.cat === 'op') return 'op';
  if (e.name === 'ipi_send') return 'ipi';
  if (e.cat === 'gather') return 'gather';
  if (e.cat === 'tlb' || /flush/.test(e.name)) return 'flush';
  if (e.cat === 'instr' || e.cat === 'tlbi' || /^tlbi|^invlpg|^tlbie|^sfence/i.test(e.name)) return 'instr';
  return 'other';
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  parent?.appendChild(n);
  return n;
}

/** The time span of a run's events, for the initial window. */
export function extent(events: readonly TraceEvent[]): Window {
  let end = 1;
  for (const e of events) end = Math.max(end, e.ts + (e.dur ?? 0));
  return { start: 0, end };
}

/**
 * Draw `events` of a `cpus`-CPU run in `win` into a new SVG of `width` pixels; clicking an
 * event calls `onPick` with it.
 */
export function drawTimeline(events: readonly TraceEvent[], cpus: number, win: Window, width: number, onPick: (e: TraceEvent) => void): { svg: SVGSVGElement; drawn: number; hidden: number } {
  const height = cpus * LANE + 24;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'timeline', role: 'img' });
  const span = Math.max(1, win.end - win.start);
  const x = (t: number) => LEFT + ((t - win.start) / span) * (width - LEFT - 8);
  const laneY = (c: number) => 8 + c * LANE;
  for (let c = 0; c < cpus; c++) {
    el('line', { x1: LEFT, x2: width - 8, y1: laneY(c) + LANE / 2, y2: laneY(c) + LANE / 2, class: 'lane' }, svg);
    el('text', { x: 4, y: laneY(c) + LANE / 2 + 4, class: 'lane-label' }, svg).textContent = `CPU${c}`;
  }
  el('text', { x: LEFT, y: height - 4, class: 'axis' }, svg).textContent = `${win.start} ns`;
  el('text', { x: width - 8, y: height - 4, class: 'axis', 'text-anchor': 'end' }, svg).textContent = `${win.end} ns`;
  const used = new Set<string>();
  let drawn = 0;
  let hidden = 0;
  for (const e of events) {
    const t0 = e.ts;
    const t1 = e.ts + (e.dur ?? 0);
    if (t1 < win.start || t0 > win.end) continue;
    const k = kindOf(e);
    const px = Math.round(x(Math.max(t0, win.start)));
    const slot = `${k}:${e.cpu}:${px}`;
    if (k !== 'finding' && k !== 'op' && used.has(slot)) {
      hidden++;
      continue;
    }
    used.add(slot);
    const y = laneY(e.cpu);
    let node: SVGElement;
    if (k === 'op') {
      node = el('rect', { x: px, y: y + 3, width: Math.max(2, x(Math.min(t1, win.end)) - px), height: LANE - 6, class: 'op', rx: 2 }, svg);
    } else if (k === 'ipi') {
      const g = el('g', { class: 'ipi' }, svg);
      const targets = Array.isArray(e.args?.targets) ? (e.args!.targets as number[]) : [];
      for (const tgt of targets) el('line', { x1: px, y1: y + LANE / 2, x2: px + 6, y2: laneY(tgt) + LANE / 2, 'marker-end': 'url(#arrow)' }, g);
      el('circle', { cx: px, cy: y + LANE / 2, r: 3 }, g);
      node = g;
    } else if (k === 'finding') {
      node = el('path', { d: `M${px} ${y + 2} l5 9 h-10 z`, class: 'finding' }, svg);
    } else {
      const h = k === 'flush' ? LANE - 8 : k === 'instr' ? LANE / 2 : LANE / 3;
      node = el('rect', { x: px - 1, y: y + (LANE - h) / 2, width: 2, height: h, class: k }, svg);
    }
    node.setAttribute('data-kind', k);
    el('title', {}, node).textContent = `${e.name} (${e.cat}) CPU${e.cpu} t=${e.ts} ns${e.op ? ` in ${e.op}` : ''}`;
    node.addEventListener('click', () => onPick(e));
    drawn++;
  }
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 6 6', refX: 5, refY: 3, markerWidth: 5, markerHeight: 5, orient: 'auto' }, defs);
  el('path', { d: 'M0 0 L6 3 L0 6 z' }, marker);
  return { svg, drawn, hidden };
}

/**
 * What the gather looked like when `e` happened: the last mmu_gather event on its CPU at or
 * before it (tlb_gather_mmu, the arch tlb_flush hook with range, cleared levels and freed_tables,
 * tlb_finish_mmu), or null outside any gather.
 */
export function gatherAt(events: readonly TraceEvent[], e: TraceEvent): TraceEvent | null {
  let last: TraceEvent | null = null;
  for (const g of events) {
    if (g.ts > e.ts) break;
    if (g.cat === 'gather' && g.cpu === e.cpu) last = g;
  }
  return last;
}
