/**
 * Kernel recordings as replay input (issue #22): the ftrace text read into the replay's events,
 * the tree of a pid, the model's use of faults, switches and execve, on a small hand-written
 * recording in the format /sys/kernel/tracing/trace prints.
 */
import { generic } from '@tlbsim/core';
import { x86 } from '@tlbsim/arch-x86';
import { describe, expect, it } from 'vitest';
import { cloneFlags, enterFields, mapFlags, signedHex, straceArgs } from '../src/ftrace-args.js';
import { FtraceReader, isKernelThread, looksLikeFtrace, replay, replaySync, type StraceEvent } from '../src/index.js';
import { fixtureLines } from './kernel-helpers.js';

const L = (pid: number, cpu: number, ts: string, body: string, comm = 'prog') => `${comm.padStart(16)}-${pid}     (${String(pid).padStart(7)}) [00${cpu}] d.... ${ts}: ${body}`;

/** A process that execs, maps 4 pages, reads one, writes two (one read first), starts a thread, unmaps, exits. */
export const TRACE = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 0/0   #P:2',
  '# tlbsim record: root=100 command=["prog"] events=exceptions/page_fault_user',
  L(100, 0, '10.000001', 'sys_execve(filename: 0x5600, argv: 0x5610, envp: 0x5620)'),
  L(100, 0, '10.000002', 'tlb_flush: pages:1 reason:local MM shootdown (3)'),
  L(100, 0, '10.000003', 'tlb_flush: pages:-1 reason:local MM shootdown (3)'),
  L(100, 0, '10.000004', 'sched_process_exec: filename=/usr/bin/prog pid=100 old_pid=100'),
  L(100, 0, '10.000005', 'sys_execve -> 0x0'),
  L(100, 0, '10.000010', 'sys_mmap(addr: 0x0, len: 0x4000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)'),
  L(100, 0, '10.000011', 'sys_mmap -> 0x7f0000000000'),
  L(100, 0, '10.000012', 'page_fault_user: address=0x7f0000000010 ip=0x401000 error_code=0x4'),
  L(100, 0, '10.000013', 'page_fault_user: address=0x7f0000000020 ip=0x401000 error_code=0x7'),
  L(100, 0, '10.000014', 'tlb_flush: pages:1 reason:local MM shootdown (3)'),
  L(100, 0, '10.000015', 'page_fault_user: address=0x7f0000001000 ip=0x401000 error_code=0x6'),
  L(100, 0, '10.000020', 'sys_clone3(uargs: 0x7ffd0000, size: 0x58)'),
  L(100, 0, '10.000021', 'task_newtask: pid=101 comm=prog clone_flags=3d0f00 oom_score_adj=0'),
  L(100, 0, '10.000022', 'sched_process_fork: comm=prog pid=100 child_comm=prog child_pid=101'),
  L(100, 0, '10.000023', 'sys_clone3 -> 0x65'),
  L(0, 1, '10.000024', 'sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=prog next_pid=101 next_prio=120', '<idle>'),
  L(101, 1, '10.000025', 'sys_clone3 -> 0x0'),
  L(101, 1, '10.000026', 'page_fault_user: address=0x7f0000002000 ip=0x401000 error_code=0x6'),
  L(100, 0, '10.000030', 'sys_munmap(addr: 0x7f0000000000, len: 0x4000)'),
  L(100, 0, '10.000031', 'tlb_flush: pages:4 reason:remote IPI send (4)'),
  L(100, 0, '10.000032', 'csd_queue_cpu: cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 func=flush_tlb_func csd=00000000d62d0cbd'),
  L(100, 0, '10.000033', 'ipi_send_cpu: cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 callback=generic_smp_call_function_single_interrupt+0x0/0x10'),
  L(100, 0, '10.000034', 'tlb_flush: pages:4 reason:local MM shootdown (3)'),
  L(100, 0, '10.000035', 'sys_munmap -> 0x0'),
  L(200, 1, '10.000036', 'sys_mmap(addr: 0x0, len: 0x1000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)', 'other'),
  L(101, 1, '10.000040', 'sched_process_exit: comm=prog pid=101 prio=120 group_dead=false'),
  L(101, 1, '10.000041', 'sched_switch: prev_comm=prog prev_pid=101 prev_prio=120 prev_state=X ==> next_comm=kworker/1:1 next_pid=33 next_prio=120'),
  L(100, 0, '10.000050', 'sys_exit_group(error_code: 0x0)'),
  L(100, 0, '10.000051', 'sched_process_exit: comm=prog pid=100 prio=120 group_dead=true'),
];

function events(lines: string[], pid?: number): StraceEvent[] {
  const r = new FtraceReader('t', pid === undefined ? {} : { pid });
  return lines.map((l) => r.push(l)).filter((e) => e.kind !== 'noise');
}

describe('ftrace fields as strace arguments', () => {
  it('register values, mmap and clone flags, the fields of a sys_enter event', () => {
    expect([signedHex('0xffffffffffffffff'), signedHex('0x7f0000000000'), signedHex('0xfffffffffffffff4'), signedHex('10')]).toEqual([-1, 0x7f0000000000, -12, 16]);
    expect(mapFlags(0x22)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect(mapFlags(0x100002 | (21 * 2 ** 26))).toBe('MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_HUGE_2MB');
    expect(cloneFlags(0x3d0f00)).toBe('flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID');
    expect(cloneFlags(0x1200011)).toBe('flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID');
    const f = enterFields('(start: 0x7f00, len_in: 0x2000, behavior: 0x4)');
    expect([...f]).toEqual([['start', '0x7f00'], ['len_in', '0x2000'], ['behavior', '0x4']]);
    expect(straceArgs('madvise', f)).toBe('0x7f00, 8192, MADV_DONTNEED');
    expect(straceArgs('mremap', enterFields('(addr: 0x7f00, old_len: 0x1000, new_len: 0x2000, flags: 0x1, new_addr: 0x0)'))).toBe('0x7f00, 4096, 8192, MREMAP_MAYMOVE, 0x0');
  });
  it('a recording is told from strace output by its first line', () => {
    expect([looksLikeFtrace('# tracer: nop'), looksLikeFtrace(TRACE[4]), looksLikeFtrace('1234  10:00:00.000000 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f00')]).toEqual([true, true, false]);
  });
  it('kernel threads by name', () => {
    expect(['kworker/1:1', 'ksoftirqd/0', 'rcu_preempt', 'migration/1', 'node', 'python3', 'bash'].map(isKernelThread)).toEqual([true, true, true, true, false, false, false]);
  });
});

describe('FtraceReader', () => {
  it('calls at their exit with the arguments of their entry; clone3 announced, its flags from task_newtask; faults; switches; exits', () => {
    const evs = events(TRACE);
    expect(evs.map((e) => [e.kind, e.tid, e.line, e.kind === 'call' ? `${e.name}(${e.args}) = ${e.result.raw}` : e.kind === 'start' ? `${e.name}(${e.args})` : e.kind === 'fault' ? `${e.addr.toString(16)} w=${e.write} p=${e.present}` : e.kind === 'switch' ? `->${e.nextTid} ${e.prevState}` : e.kind === 'exit' ? e.how : ''])).toEqual([
      ['call', 100, 5, 'execve("/usr/bin/prog") = 0x0'],
      ['call', 100, 10, 'mmap(0x0, 16384, 0x3, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000'],
      ['fault', 100, 12, '7f0000000010 w=false p=false'],
      ['fault', 100, 13, '7f0000000020 w=true p=true'],
      ['fault', 100, 15, '7f0000001000 w=true p=false'],
      ['start', 100, 16, 'clone3(flags=CLONE_VM|CLONE_THREAD)'],
      ['start', 100, 17, 'clone3(flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID)'],
      ['call', 100, 16, 'clone3(flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID) = 0x65'],
      ['switch', 0, 20, '->101 R'],
      ['fault', 101, 22, '7f0000002000 w=true p=false'],
      ['call', 100, 23, 'munmap(0x7f0000000000, 16384) = 0x0'],
      ['exit', 101, 30, 'exited'],
      ['switch', 101, 31, '->33 X'],
      ['exit', 100, 33, 'exited'],
    ]);
  });
  it('the header gives the CPUs and the root; the kernel flushes are counted by what the thread was doing, not turned into events', () => {
    const r = new FtraceReader('t');
    for (const l of TRACE) r.push(l);
    expect([r.cpus, r.root, r.faults, r.hasFlushEvents]).toEqual([2, 100, 4, true]);
    expect([...r.recorded.byKind]).toEqual([
      ['execve', { flushes: 2, ipis: 0 }],
      ['page fault', { flushes: 1, ipis: 0 }],
      // one flush_tlb_multi: REMOTE_SEND_IPI, its IPI, its local part
      ['munmap', { flushes: 1, ipis: 1 }],
    ]);
  });
  it('bounded state: a task that died is forgotten at its last switch', () => {
    const r = new FtraceReader('t', { pid: 1 });
    for (let i = 0; i < 1000; i++) {
      const c = 2 + i;
      r.push(L(1, 0, `1.${String(i).padStart(6, '0')}`, `sched_process_fork: comm=sh pid=1 child_comm=sh child_pid=${c}`));
      r.push(L(c, 1, `1.${String(i).padStart(6, '0')}`, `sys_exit_group(error_code: 0x0)`));
      r.push(L(c, 1, `1.${String(i).padStart(6, '0')}`, `sched_process_exit: comm=sh pid=${c} prio=120 group_dead=true`));
      r.push(L(c, 1, `1.${String(i).padStart(6, '0')}`, `sched_switch: prev_comm=sh prev_pid=${c} prev_prio=120 prev_state=Z ==> next_comm=swapper/1 next_pid=0 next_prio=120`));
    }
    expect(r.tracked).toBe(1);
  });
  it('a failed call carries its errno; a line that is no event is an error event', () => {
    const r = new FtraceReader('t', { pid: 5 });
    r.push(L(5, 0, '1.000000', 'sys_mmap(addr: 0x0, len: 0x1000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)'));
    const e = r.push(L(5, 0, '1.000001', 'sys_mmap -> 0xfffffffffffffff4'));
    expect(e.kind === 'call' && e.result).toEqual({ value: -1, errno: 'ENOMEM', unknown: false, raw: '-1 ENOMEM' });
    expect(r.push('garbage')).toEqual({ file: 't', line: 3, tid: 0, kind: 'error', reason: 'not an ftrace event line' });
    expect(r.push('CPU:1 [LOST 42 EVENTS]').kind).toBe('noise');
    expect(r.lost).toBe(42);
  });
  it('--pid: only the tree rooted at the pid (its forks join it); a kernel-mode fault on a kernel address is ignored', () => {
    const tree = events(TRACE, 101).map((e) => [e.kind, e.tid]);
    // 101's own events, and every switch (what ran on each CPU)
    expect(tree).toEqual([['switch', 0], ['fault', 101], ['exit', 101], ['switch', 101]]);
    const k = new FtraceReader('t', { pid: 7 });
    expect(k.push(L(7, 0, '1.0', 'page_fault_kernel: address=0xffffffff81000000 ip=0xffffffff81000000 error_code=0x2')).kind).toBe('noise');
    expect(k.push(L(7, 0, '1.1', 'page_fault_kernel: address=0x7f0000000000 ip=0xffffffff81000000 error_code=0x7')).kind).toBe('fault');
  });
});

describe('replaying a recording', () => {
  it('on x86: the zero page, a COW flush and a two-CPU munmap, the CPUs of the recording, no touch assumption', () => {
    const r = replaySync([{ name: 't', lines: TRACE }], x86());
    expect([r.cpus.length, r.threads, r.processes, r.touch, r.recording!.faults, r.recording!.root]).toEqual([2, 2, 2, 'none', 4, 100]);
    expect(r.recording!.comparison!.map((x) => [x.kind, x.recorded.flushes, x.predicted.flushes, x.recorded.ipis, x.predicted.ipis])).toEqual([
      ['execve', 2, 2, 0, 0],
      ['munmap', 1, 1, 1, 1],
      ['page fault', 1, 1, 0, 0],
      // exit_mmap frees page tables: the CPU lazy on the mm gets the IPI too (this hand-written
      // recording leaves the kernel's exit flush out)
      ['exit', 0, 1, 0, 1],
      ['total', 4, 5, 1, 2],
    ]);
    expect(r.metrics.flushesBy).toEqual({ flush_tlb_page: 1, flush_tlb_range: 1, tlb_flush: 3 });
  });
  it('the same prediction streamed (an async source) as from an array, and with the CPU count given', async () => {
    const lines = fixtureLines('git-status.trace.gz');
    const a = replaySync([{ name: 'g', lines }], x86());
    async function* gen() {
      for (const l of lines) yield l;
    }
    const b = await replay([{ name: 'g', lines: () => gen() }], x86());
    expect(b.recording).toEqual(a.recording);
    expect(b.metrics).toEqual(a.metrics);
    const c = replaySync([{ name: 'g', lines }], x86(), { cpus: 2 });
    expect(c.recording!.predicted).toEqual(a.recording!.predicted);
  });
  it('on the generic backend too (no x86 events: nothing to compare, the same faults)', () => {
    const r = replaySync([{ name: 'g', lines: fixtureLines('git-status.trace.gz') }], generic());
    expect([r.recording!.faults, r.recording!.predicted, r.violations.length, r.divergences, r.metrics.flushes]).toEqual([174, { flushes: 0, ipis: 0 }, 0, 0, 42]);
  });
  it('--pid on py-json: the tree of the pyenv shell\'s first child only', () => {
    const r = replaySync([{ name: 'p', lines: fixtureLines('py-json.trace.gz') }], x86(), { pid: 22420 });
    expect([r.processes, r.threads, r.recording!.root, r.recording!.faults]).toEqual([1, 1, 22420, 63]);
  });
});
