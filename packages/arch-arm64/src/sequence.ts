/**
 * The instruction sequence a run executed, read back from its trace events (tracing on), in a
 * compact text form for tests and reports:
 *   `DSB ISHST`, `TLBI VALE1IS 0x400000 asid=2 L3`, `TLBI VAE1IS 0x40000000 asid=2` (no hint),
 *   `TLBI RVALE1IS 0x400000 asid=2 tg=1 scale=0 num=7 ttl=3`, `TLBI ASIDE1IS asid=2`,
 *   `TLBI VALE1IS xzr` (the REPEAT_TLBI tail), `TLBI VMALLE1`, `DSB ISH`, `ISB`,
 *   and with `notify: true` also `NOTIFY 0x400000-0x410000` (the secondary-TLB notifier); with
 *   `pgtable: true` also the `DSB ISHST` / `ISB` pairs of page-table stores (set_pmd, set_p4d...).
 */
import type { TraceEvent } from '@tlbsim/core';

export interface SequenceOptions {
  /** include the mmu notifier calls (default false: they are not instructions) */
  notify?: boolean;
  /** include the barriers after page-table stores (default false: they are not TLB maintenance) */
  pgtable?: boolean;
  /** only instructions issued by this CPU */
  cpu?: number;
}

/** One trace event as an instruction line, or undefined when it is not one of ours. */
export function formatInsn(ev: TraceEvent, opts: SequenceOptions = {}): string | undefined {
  const a = (ev.args ?? {}) as Record<string, unknown>;
  if (a.pgtable && !opts.pgtable) return undefined;
  switch (ev.name) {
    case 'dsb':
      return `DSB ${a.op}`;
    case 'isb':
      return 'ISB';
    case 'mmu_notifier':
      return opts.notify ? `NOTIFY ${a.start}-${a.end}` : undefined;
    case 'tlbi': {
      const op = `TLBI ${a.op}`;
      if (a.xzr) return `${op} xzr`;
      if (a.scale !== undefined) return `${op} ${a.va} asid=${a.asid} tg=${a.tg} scale=${a.scale} num=${a.num} ttl=${a.ttl}`;
      if (a.va !== undefined) return `${op} ${a.va} asid=${a.asid}${a.level === null || a.level === undefined ? '' : ` L${a.level}`}`;
      if (a.asid !== undefined) return `${op} asid=${a.asid}`;
      return op;
    }
    default:
      return undefined;
  }
}

/** The TLB maintenance instructions of a run (or of the events since some index), in order. */
export function tlbiSequence(events: readonly TraceEvent[], opts: SequenceOptions = {}): string[] {
  const out: string[] = [];
  for (const ev of events) {
    if (opts.cpu !== undefined && ev.cpu !== opts.cpu) continue;
    const s = formatInsn(ev, opts);
    if (s !== undefined) out.push(s);
  }
  return out;
}
