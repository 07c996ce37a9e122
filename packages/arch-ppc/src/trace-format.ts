/**
 * Reading the instruction stream back: a compact notation for tests and reports, and the
 * kernel's `powerpc:tlbie` ftrace line.
 */
import type { TraceEvent } from '@tlbsim/core';

/**
 * One instruction (or HPTE clear, or hcall) as a short string:
 * - `tlbiel va=0x7fffa0000000 ap=5 ric=0 pid=0x42` (VA form), `tlbie pid=0x42 ric=2` (PID form;
 *   tlbiel adds ` set=N`), `tlbie lpid=0 ric=0 prs=0` (LPID form),
 * - `tlbiel hash va=0x...` (hash MMU), `hpte_invalidate va=0x...`,
 * - `ptesync`, `eieio`, `tlbsync`, `cp_abort`, `slbia IH=3`, `isync`, `hcall H_RPT_INVALIDATE type=TLB|PWC`,
 *   `hcall H_BULK_REMOVE entries=4`, `hcall H_REMOVE entries=1`.
 * Returns undefined for events that are not part of the instruction stream.
 */
export function formatInsn(e: TraceEvent): string | undefined {
  if (e.cat !== 'tlb') return undefined;
  const a = (e.args ?? {}) as Record<string, unknown>;
  const pid = (p: unknown) => '0x' + Number(p).toString(16);
  switch (e.name) {
    case 'tlbie':
      switch (a.form) {
        case 'va': return `${a.insn} va=${a.va} ap=${a.ap} ric=${a.ric} pid=${pid(a.pid)}`;
        case 'pid': return `${a.insn} pid=${pid(a.pid)} ric=${a.ric}${a.insn === 'tlbiel' ? ` set=${a.set}` : ''}`;
        case 'lpid': return `${a.insn} lpid=${a.lpid} ric=${a.ric} prs=${a.prs}`;
        case 'hash': return `${a.insn} hash va=${a.va}`;
        default: return `${a.insn}`;
      }
    case 'hpte_invalidate': return `hpte_invalidate va=${a.va}`;
    case 'hcall': return a.hcall === 'H_RPT_INVALIDATE' ? `hcall ${a.hcall} type=${a.type}` : `hcall ${a.hcall} entries=${a.entries}`;
    case 'ptesync': case 'eieio': case 'tlbsync': case 'cp_abort': case 'isync': case 'slbia IH=3':
      return e.name;
    default: return undefined;
  }
}

/** The instruction stream of a run (optionally one CPU's), in the notation of {@link formatInsn}. */
export function insnSequence(events: readonly TraceEvent[], cpu?: number): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (cpu !== undefined && e.cpu !== cpu) continue;
    const s = formatInsn(e);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/**
 * `tlbie: lpid=%ld local=%ld rB=0x%lx rS=0x%lx ric=%ld prs=%ld r=%ld`, the print format of the
 * powerpc:tlbie tracepoint, for the radix-format instructions (hash-form ones carry no RS/RIC
 * here and are left out).
 */
export function formatTlbieFtrace(e: TraceEvent): string | undefined {
  if (e.name !== 'tlbie' || e.cat !== 'tlb') return undefined;
  const a = (e.args ?? {}) as Record<string, unknown>;
  if (a.form === 'hash') return undefined;
  return `tlbie: lpid=${a.lpid} local=${a.local} rB=${a.rb} rS=${a.rs} ric=${a.ric} prs=${a.prs} r=${a.r}`;
}
