/** What each trace line cost on the machine, and the lines that cost the most. */
import type { Machine } from '@tlbsim/core';
import type { StraceEvent } from './strace-events.js';
import { callText } from './strace-events.js';

/** What one trace line cost, for the top lists. */
export interface CallSite {
  file: string;
  line: number;
  /** `name(args) = result`, at most 120 characters */
  text: string;
  ipis: number;
  tlbInstructions: number;
  archFlushes: number;
}

const TOP = 10;

/** a line whose figure is `v` would enter the list */
function enters(list: CallSite[], v: number, key: 'ipis' | 'tlbInstructions'): boolean {
  return v > 0 && (list.length < TOP || v > list[list.length - 1][key]);
}

function offer(list: CallSite[], site: CallSite, key: 'ipis' | 'tlbInstructions'): void {
  const v = site[key];
  if (!enters(list, v, key)) return;
  let i = list.length;
  while (i > 0 && list[i - 1][key] < v) i--;
  list.splice(i, 0, site);
  if (list.length > TOP) list.pop();
}

/** The top 10 trace lines by IPIs sent and by TLB instructions executed. */
export class CallSites {
  readonly byIpis: CallSite[] = [];
  readonly byTlbInstructions: CallSite[] = [];
  private ipis = 0;
  private instr = 0;
  private flushes = 0;

  constructor(private readonly m: Machine) {}

  private instrTotal(): number {
    return this.m.metrics.tlbInstructions.sum();
  }

  /** Before an event is applied: the counters it will be measured against. */
  begin(): void {
    const mt = this.m.metrics;
    this.ipis = mt.ipis;
    this.instr = this.instrTotal();
    this.flushes = mt.archFlushes;
  }

  /** After it was applied: a line that sent an IPI or executed a TLB instruction is a candidate. */
  end(ev: StraceEvent): void {
    const mt = this.m.metrics;
    const dIpis = mt.ipis - this.ipis;
    const dInstr = this.instrTotal() - this.instr;
    // the site (and its text) only for a line that enters a list: once they are full, most do not
    if (enters(this.byIpis, dIpis, 'ipis') || enters(this.byTlbInstructions, dInstr, 'tlbInstructions')) {
      const text = ev.kind === 'call' ? callText(ev) : ev.kind === 'exit' ? `+++ ${ev.how} +++ (thread ${ev.tid})` : ev.kind;
      const site: CallSite = { file: ev.file, line: ev.line, text, ipis: dIpis, tlbInstructions: dInstr, archFlushes: mt.archFlushes - this.flushes };
      offer(this.byIpis, site, 'ipis');
      offer(this.byTlbInstructions, site, 'tlbInstructions');
    }
  }
}
