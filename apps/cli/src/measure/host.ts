/**
 * The facts of the host that the x86 model depends on, read from /proc and /sys, and the x86
 * backend options they make. Reading is separate from interpreting so that a saved measurement
 * is compared again with the facts of the machine that recorded it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus as osCpus, release } from 'node:os';
import type { X86Options } from '@tlbsim/arch-x86';

/** What was read, as text (absent: not readable). Saved with a measurement. */
export interface HostRaw {
  release: string;
  /** the `flags` line of the first CPU in /proc/cpuinfo */
  flags: string;
  /** /sys/devices/system/cpu/vulnerabilities/meltdown */
  meltdown?: string;
  /** /sys/kernel/mm/transparent_hugepage/enabled */
  thp?: string;
  /** /sys/kernel/debug/x86/tlb_single_page_flush_ceiling */
  ceiling?: string;
  /** the kernel log lines naming a paravirtual TLB flush */
  pvFlush?: string;
  nrCpus: number;
}

export interface HostFacts {
  raw: HostRaw;
  options: X86Options;
  /** one line per fact: what was read and what the model does with it */
  used: string[];
}

function tryRead(f: string): string | undefined {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The kernel log's paravirt flush line (dmesg may be restricted: then undefined). */
function pvFlushLine(): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const c = spawn('dmesg', [], { stdio: ['ignore', 'pipe', 'ignore'] });
    c.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    c.on('error', () => resolve(undefined));
    c.on('close', (code) => {
      if (code !== 0) return resolve(undefined);
      const l = out.split('\n').find((x) => /pv remote TLB flush|Using hypercall for remote TLB flush|xen.*mmu/i.test(x));
      resolve(l ? l.replace(/^\[[^\]]*\]\s*/, '').trim() : '');
    });
  });
}

export async function readHost(): Promise<HostRaw> {
  const cpuinfo = tryRead('/proc/cpuinfo') ?? '';
  return {
    release: release(),
    flags: /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '',
    meltdown: tryRead('/sys/devices/system/cpu/vulnerabilities/meltdown'),
    thp: tryRead('/sys/kernel/mm/transparent_hugepage/enabled'),
    ceiling: tryRead('/sys/kernel/debug/x86/tlb_single_page_flush_ceiling'),
    pvFlush: await pvFlushLine(),
    nrCpus: osCpus().length,
  };
}

/** The model's kernel behaviour for a release: v6.15 covers 6.15 and later, and so on. */
export function kernelOf(rel: string): { kernel: 'v6.15' | 'v6.14' | 'v6.13'; note: string } {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  const v = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  if (v >= 6015) return { kernel: 'v6.15', note: `kernel ${rel}: modelled as v6.15 (6.15 and later)` };
  if (v >= 6014) return { kernel: 'v6.14', note: `kernel ${rel}: modelled as v6.14` };
  if (v >= 5013) return { kernel: 'v6.13', note: `kernel ${rel}: modelled as v6.13 (5.13 to 6.13)` };
  return { kernel: 'v6.13', note: `kernel ${rel}: older than 5.13, modelled as v6.13 (the oldest behaviour tlbsim has; expect differences)` };
}

/** The x86 options the facts make, and a line for each fact used. */
export function interpretHost(raw: HostRaw): HostFacts {
  const flags = new Set(raw.flags.split(/\s+/));
  const used: string[] = [];
  const { kernel, note } = kernelOf(raw.release);
  used.push(note);
  const pcid = flags.has('pcid');
  const invpcid = flags.has('invpcid');
  // INVLPGB support exists from v6.15 and needs PCID
  const invlpgb = flags.has('invlpgb') && kernel === 'v6.15' && pcid;
  used.push(`/proc/cpuinfo flags: ${pcid ? 'pcid' : 'no pcid'}, ${invpcid ? 'invpcid' : 'no invpcid'}, ${flags.has('invlpgb') ? (invlpgb ? 'invlpgb' : 'invlpgb (not used by this kernel)') : 'no invlpgb'}`);
  const pti = raw.meltdown !== undefined && /PTI/.test(raw.meltdown);
  used.push(raw.meltdown === undefined ? 'meltdown vulnerability file unreadable: PTI assumed off' : `meltdown: "${raw.meltdown}": ${pti ? 'PTI on' : 'PTI off'}`);
  const thp = raw.thp ? /\[(\w+)\]/.exec(raw.thp)?.[1] ?? raw.thp : undefined;
  used.push(thp ? `THP: ${thp} (the measured regions are smaller than a PMD, so no THP is involved)` : 'THP mode unreadable');
  let ceiling: number | undefined;
  if (raw.ceiling !== undefined && /^\d+$/.test(raw.ceiling)) {
    ceiling = Number(raw.ceiling);
    used.push(`tlb_single_page_flush_ceiling: ${ceiling} (debugfs)`);
  } else used.push('tlb_single_page_flush_ceiling: debugfs not readable, the default 33 assumed');
  let paravirt: X86Options['paravirt'] = 'none';
  if (raw.pvFlush === undefined) used.push(flags.has('hypervisor') ? 'a guest (hypervisor flag); kernel log unreadable: native flush IPIs assumed' : 'bare metal: native flush IPIs');
  else if (/pv remote TLB flush/i.test(raw.pvFlush)) {
    paravirt = 'kvm';
    used.push(`KVM guest with PV TLB flush ("${raw.pvFlush}"): IPIs go to running vCPUs, preempted ones are flagged`);
  } else if (/hypercall for remote TLB flush/i.test(raw.pvFlush)) {
    paravirt = 'hyperv';
    used.push(`Hyper-V guest ("${raw.pvFlush}"): flushes by hypercall`);
  } else used.push(flags.has('hypervisor') ? 'a guest without a PV TLB flush: native flush IPIs' : 'bare metal: native flush IPIs');
  const options: X86Options = { kernel, pcid, invpcid, invlpgb, pti, paravirt, ...(ceiling !== undefined ? { ceiling } : {}) };
  return { raw, options, used };
}
