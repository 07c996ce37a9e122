/** The events tlbsim record adds (issue #22): syscalls, page faults, process life, clone flags, queued cross-calls. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLine, presentEvents } from '../src/index.js';

const line = (body: string) => `          python3-12872   (  12870) [001] d.... 10034.200639: ${body}`;

describe('parseLine: the events of a process-tree recording', () => {
  it('a syscall entry and exit under their tracepoint names, with the TGID column', () => {
    const e = parseLine(line('sys_mmap(addr: 0x0, len: 0x2000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)'), 9)!;
    expect(e).toMatchObject({ comm: 'python3', pid: 12872, tgid: 12870, cpu: 1, flags: 'd....', tsUs: 10034200639, event: 'sys_enter_mmap', line: 9 });
    expect(e.data).toEqual({ kind: 'sys_enter', name: 'mmap', args: 'addr: 0x0, len: 0x2000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0' });
    expect(parseLine(line('sys_fork()'))!.data).toEqual({ kind: 'sys_enter', name: 'fork', args: '' });
    const x = parseLine(line('sys_execve -> 0xfffffffffffffffe'))!;
    expect([x.event, x.fields, x.data]).toEqual(['sys_exit_execve', '0xfffffffffffffffe', { kind: 'sys_exit', name: 'execve', ret: '0xfffffffffffffffe' }]);
  });
  it('page faults, user and kernel mode', () => {
    expect(parseLine(line('page_fault_user: address=0x7f1e668c8b70 ip=0x7f1e668c8b70 error_code=0x14'))!.data).toEqual({ kind: 'page_fault', user: true, address: 0x7f1e668c8b70, errorCode: 0x14 });
    expect(parseLine(line('page_fault_kernel: address=0x55d0c0de1000 ip=0xffffffff81a2b3c4 error_code=0x3'))!.data).toEqual({ kind: 'page_fault', user: false, address: 0x55d0c0de1000, errorCode: 3 });
  });
  it('fork, exec, exit, a new task with its clone flags, a queued cross-call', () => {
    expect(parseLine(line('sched_process_fork: comm=bash pid=12872 child_comm=bash child_pid=12880'))!.data).toEqual({ kind: 'sched_process_fork', parentPid: 12872, childPid: 12880, childComm: 'bash' });
    expect(parseLine(line('sched_process_exec: filename=/usr/bin/python3.11 pid=12872 old_pid=12873'))!.data).toEqual({ kind: 'sched_process_exec', filename: '/usr/bin/python3.11', pid: 12872, oldPid: 12873 });
    expect(parseLine(line('sched_process_exit: comm=bash pid=27139 prio=120 group_dead=true'))!.data).toEqual({ kind: 'sched_process_exit', pid: 27139, groupDead: true });
    expect(parseLine(line('sched_process_exit: comm=bash pid=27139 prio=120'))!.data).toEqual({ kind: 'sched_process_exit', pid: 27139 });
    expect(parseLine(line('task_newtask: pid=12880 comm=bash clone_flags=1200000 oom_score_adj=0'))!.data).toEqual({ kind: 'task_newtask', pid: 12880, cloneFlags: 0x1200000 });
    expect(parseLine(line('csd_queue_cpu: cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 func=flush_tlb_func csd=00000000d62d0cbd'))!.data).toEqual({ kind: 'csd_queue_cpu', cpu: 1, func: 'flush_tlb_func' });
  });
  it('without the TGID column there is no tgid; an unknown TGID (-------) neither', () => {
    expect(parseLine('            bash-27125   [000] d..2.  9455.425090: sys_brk(brk: 0x0)')!.tgid).toBeUndefined();
    expect(parseLine('           <...>-12827   (-------) [001] d..2. 10034.200566: sys_brk(brk: 0x0)')!.tgid).toBeUndefined();
  });
});

describe('presentEvents', () => {
  it('the events and subsystems a tracefs has', () => {
    const root = mkdtempSync(join(tmpdir(), 'tlbsim-tracefs-'));
    for (const d of ['events/sched/sched_switch', 'events/ipi']) {
      mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, d, 'enable'), '0');
    }
    expect(presentEvents(root, ['sched/sched_switch', 'ipi', 'exceptions/page_fault_user', 'csd'])).toEqual(['sched/sched_switch', 'ipi']);
  });
});
