import { describe, expect, it } from 'vitest';
import {
  StraceParser, callText, closingParen, decodeCall, execName, parseLine, parseNum, parseProt, parseResult, pidFromFileName, splitArgs,
  type CallEvent, type Decoded,
} from '../src/index.js';

const call = (line: string) => {
  const p = parseLine(line);
  if (p.type !== 'call') throw new Error(`not a call: ${JSON.stringify(p)}`);
  return p;
};
const dec = (line: string): Decoded => {
  const p = call(line);
  return decodeCall(p.name, p.args);
};

describe('strace line prefixes', () => {
  it('reads pid and -tt time of day', () => {
    const p = call('12345 10:00:01.123456 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1234560000');
    expect(p.pid).toBe(12345);
    expect(p.ts).toBe((10 * 3600 + 1) * 1e6 + 123456);
    expect(p.name).toBe('mmap');
    expect(p.result).toEqual({ value: 0x7f1234560000, unknown: false, raw: '0x7f1234560000' });
  });
  it('works without -f and without -tt', () => {
    const p = call('munmap(0x7f0000000000, 4096)           = 0');
    expect(p.pid).toBeUndefined();
    expect(p.ts).toBeUndefined();
    expect(p.result.value).toBe(0);
  });
  it('reads -t, -ttt, [pid N] (stderr style), -T durations and -i instruction pointers', () => {
    expect(call('10:00:01 brk(NULL) = 0x1000').ts).toBe(36001e6);
    const t = call('1700000000.000250 brk(NULL) = 0x1000');
    expect(t.ts).toBe(1700000000e6 + 250);
    expect(t.pid).toBeUndefined();
    expect(call('[pid  4242] brk(NULL) = 0x1000').pid).toBe(4242);
    const d = call('7 munmap(0x1000, 4096) = 0 <0.000012>');
    expect(d.result).toMatchObject({ value: 0, unknown: false });
    expect(call('7 10:00:00.000001 [00007f0011223344] munmap(0x1000, 4096) = 0').name).toBe('munmap');
  });
  it('reads -y fd paths in arguments and results', () => {
    const d = dec('mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3</tmp/f>, 0) = 0x7f0000000000');
    expect(d).toMatchObject({ op: 'mmap', fd: 3, shared: true, anonymous: false });
    expect(parseResult('3</tmp/f>')).toMatchObject({ value: 3 });
  });
  it('takes the pid of -ff files from the file name', () => {
    expect(pidFromFileName('trace.12345')).toBe(12345);
    expect(pidFromFileName('trace.txt')).toBeUndefined();
  });
});

describe('results', () => {
  it('decimal, hex, failures, no result', () => {
    expect(parseResult('0x55d0c0de0000')).toEqual({ value: 0x55d0c0de0000, unknown: false, raw: '0x55d0c0de0000' });
    expect(parseResult('14541')).toMatchObject({ value: 14541, unknown: false });
    expect(parseResult('-1 ENOMEM (Cannot allocate memory)')).toEqual({ value: -1, errno: 'ENOMEM', unknown: false, raw: '-1 ENOMEM (Cannot allocate memory)' });
    expect(parseResult('?')).toMatchObject({ value: null, unknown: true });
    expect(parseResult('? ERESTARTNOINTR (To be restarted)')).toMatchObject({ unknown: true });
  });
});

describe('non-call lines', () => {
  it('signals, exits, strace messages, blank lines, garbage', () => {
    expect(parseLine('100 10:00:00.000001 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101} ---')).toMatchObject({ type: 'signal', pid: 100, signal: 'SIGCHLD' });
    expect(parseLine('--- stopped by SIGSTOP ---')).toMatchObject({ type: 'signal', signal: 'SIGSTOP' });
    expect(parseLine('100 +++ exited with 3 +++')).toMatchObject({ type: 'exit', pid: 100, how: 'exited', status: 3 });
    expect(parseLine('+++ killed by SIGSEGV (core dumped) +++')).toMatchObject({ type: 'exit', how: 'killed', signal: 'SIGSEGV' });
    expect(parseLine('101 +++ superseded by execve in pid 100 +++')).toMatchObject({ type: 'exit', pid: 101, how: 'superseded', newPid: 100 });
    expect(parseLine('strace: Process 100 attached')).toMatchObject({ type: 'noise' });
    expect(parseLine('')).toMatchObject({ type: 'noise' });
    expect(parseLine('[ Process PID=100 runs in 32 bit mode. ]')).toMatchObject({ type: 'noise' });
    expect(parseLine('hello world')).toMatchObject({ type: 'error' });
    expect(parseLine('100 mmap(NULL, 4096')).toMatchObject({ type: 'error' });
    expect(parseLine('100 mmap(NULL, 4096) 0x1')).toMatchObject({ type: 'error' });
  });
});

describe('argument helpers', () => {
  it('splits at top-level commas only', () => {
    expect(splitArgs('"/bin/a,b(c", ["x", "y, z"], 0x7ffc /* 3 vars */')).toEqual(['"/bin/a,b(c"', '["x", "y, z"]', '0x7ffc /* 3 vars */']);
    expect(splitArgs('{flags=CLONE_VM, stack=0x1} => {parent_tid=[5]}, 88')).toEqual(['{flags=CLONE_VM, stack=0x1} => {parent_tid=[5]}', '88']);
    expect(splitArgs('')).toEqual([]);
  });
  it('finds the closing parenthesis past strings and comments', () => {
    const s = 'execve("/a)b", ["x"], 0x1 /* ) */) = 0';
    expect(s.slice(closingParen(s, 7))).toBe(') = 0');
  });
  it('numbers and protections', () => {
    expect(parseNum('NULL')).toBe(0);
    expect(parseNum('0x1000')).toBe(4096);
    expect(parseNum('-1')).toBe(-1);
    expect(parseNum('3</dev/zero>')).toBe(3);
    // a 0x without hex digits is the number 0 followed by text; a lone sign is no number
    expect(parseNum('0xg')).toBe(0);
    expect(parseNum(' -0x10 ')).toBe(-16);
    expect(parseNum('-')).toBeNaN();
    expect(parseNum('PROT_READ')).toBeNaN();
    expect(parseProt('PROT_READ|PROT_EXEC')).toEqual({ read: true, write: false, exec: true });
    expect(parseProt('PROT_NONE')).toEqual({ read: false, write: false, exec: false });
    expect(parseProt('PROT_READ|0x10')).toEqual({ read: true, write: false, exec: false });
    expect(execName('"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", ["cc1"]')).toBe('cc1');
  });
});

describe('decoding every syscall kind', () => {
  it('mmap: anonymous, file, fixed, noreplace, hugetlb, populate; mmap2 offsets are in pages', () => {
    expect(dec('mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000')).toEqual({
      op: 'mmap', addr: 0, length: 8192, prot: { read: true, write: true, exec: false }, shared: false, anonymous: true,
      fixed: false, noReplace: false, hugetlb: false, populate: false, locked: false, noreserve: false, fd: -1, offset: 0,
    });
    expect(dec('mmap(0x7f950e23d000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000) = 0x7f950e23d000'))
      .toMatchObject({ addr: 0x7f950e23d000, fixed: true, noReplace: false, anonymous: false, fd: 3, offset: 0x26000, prot: { exec: true } });
    expect(dec('mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x10000')).toMatchObject({ fixed: true, noReplace: true });
    expect(dec('mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB, -1, 0) = 0x7f0000000000'))
      .toMatchObject({ hugetlb: true, hugeSize: 2 ** 21 });
    expect(dec('mmap(NULL, 4096, PROT_READ, MAP_SHARED|MAP_POPULATE, 5, 0) = 0x7f0000000000')).toMatchObject({ shared: true, populate: true });
    expect(dec('mmap2(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0x2) = 0xf7000000')).toMatchObject({ op: 'mmap', offset: 0x2000 });
    expect(dec('mmap(NULL, 4096) = 0x1')).toMatchObject({ op: 'bad' });
  });
  it('munmap, mprotect, pkey_mprotect', () => {
    expect(dec('munmap(0x7f950e3f9000, 38759) = 0')).toEqual({ op: 'munmap', addr: 0x7f950e3f9000, length: 38759 });
    expect(dec('mprotect(0x7f950e3e6000, 16384, PROT_READ) = 0')).toEqual({ op: 'mprotect', addr: 0x7f950e3e6000, length: 16384, prot: { read: true, write: false, exec: false } });
    expect(dec('pkey_mprotect(0x1000, 4096, PROT_READ|PROT_WRITE, 1) = 0')).toMatchObject({ op: 'mprotect', prot: { write: true } });
  });
  it('madvise: DONTNEED, DONTNEED_LOCKED and FREE are replayed, others ignored with a reason', () => {
    expect(dec('madvise(0x7f0000000000, 32768, MADV_DONTNEED) = 0')).toEqual({ op: 'madvise', addr: 0x7f0000000000, length: 32768, advice: 'dontneed', adviceName: 'MADV_DONTNEED' });
    expect(dec('madvise(0x1000, 4096, MADV_FREE) = 0')).toMatchObject({ advice: 'free' });
    expect(dec('madvise(0x1000, 4096, MADV_DONTNEED_LOCKED) = 0')).toMatchObject({ advice: 'dontneed_locked' });
    expect(dec('madvise(0x1000, 4096, MADV_DONTFORK) = 0')).toMatchObject({ advice: null, adviceName: 'MADV_DONTFORK' });
  });
  it('mremap: MAYMOVE, FIXED with a new address, DONTUNMAP, no flags', () => {
    expect(dec('mremap(0x7fc4fc4f3000, 65536, 262144, MREMAP_MAYMOVE) = 0x7fc4fbcb2000')).toEqual({
      op: 'mremap', addr: 0x7fc4fc4f3000, oldLength: 65536, newLength: 262144, mayMove: true, fixed: false, dontUnmap: false,
    });
    expect(dec('mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x200000) = 0x200000')).toMatchObject({ fixed: true, newAddr: 0x200000 });
    expect(dec('mremap(0x1000, 4096, 4096, MREMAP_MAYMOVE|MREMAP_DONTUNMAP) = 0x9000')).toMatchObject({ dontUnmap: true });
    expect(dec('mremap(0x1000, 8192, 4096, 0) = 0x1000')).toMatchObject({ mayMove: false, fixed: false });
  });
  it('brk', () => {
    expect(dec('brk(NULL) = 0x558e4357e000')).toEqual({ op: 'brk', addr: 0 });
    expect(dec('brk(0x558e4359f000) = 0x558e4359f000')).toEqual({ op: 'brk', addr: 0x558e4359f000 });
  });
  it('clone, clone3, fork, vfork: CLONE_VM makes a thread, otherwise a process', () => {
    expect(dec('clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fd2) = 14335'))
      .toEqual({ op: 'clone', vm: false, thread: false, vfork: false });
    expect(dec('clone(child_stack=0x7f00, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 7'))
      .toEqual({ op: 'clone', vm: true, thread: true, vfork: false });
    expect(dec('clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f00, stack_size=0x9000}, 88) = 8'))
      .toEqual({ op: 'clone', vm: true, thread: false, vfork: true });
    expect(dec('fork() = 9')).toEqual({ op: 'clone', vm: false, thread: false, vfork: false });
    expect(dec('vfork() = 10')).toEqual({ op: 'clone', vm: true, thread: false, vfork: true });
  });
  it('execve, exit, exit_group, ignored memory calls, other calls', () => {
    expect(dec('execve("/usr/bin/node", ["node", "-e", "x, y"], 0x7ffd /* 39 vars */) = 0')).toEqual({ op: 'execve' });
    expect(dec('execveat(3, "", ["x"], 0x7ffd /* 0 vars */, AT_EMPTY_PATH) = 0')).toEqual({ op: 'execve' });
    expect(dec('exit(0) = ?')).toEqual({ op: 'exit', group: false });
    expect(dec('exit_group(0) = ?')).toEqual({ op: 'exit', group: true });
    expect(dec('mlock(0x1000, 4096) = 0')).toMatchObject({ op: 'ignore' });
    expect(dec('wait4(-1, NULL, WNOHANG, NULL) = 0')).toEqual({ op: 'other' });
  });
});

describe('StraceParser: unfinished and resumed calls', () => {
  it('joins pairs per thread across interleaved lines of other threads', () => {
    const p = new StraceParser('t', -1);
    const evs = [
      '19521 17:42:33.096487 clone3({flags=CLONE_VM|CLONE_THREAD, stack=0x7f00} <unfinished ...>',
      '19522 17:42:33.096504 madvise(0x7fc4fc4f3000, 32768, MADV_DONTNEED) = 0',
      '19522 17:42:33.096679 mremap(0x7fc4fc4f3000, 65536, 262144, MREMAP_MAYMOVE <unfinished ...>',
      '19523 17:42:33.096726 mmap(NULL, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>',
      '19521 17:42:33.096580 <... clone3 resumed> => {parent_tid=[19523]}, 88) = 19523',
      '19523 17:42:33.096765 <... mmap resumed>) = 0x7fc4fc4f3000',
      '19522 17:42:33.096772 <... mremap resumed>) = 0x7fc4fbcb2000',
    ].map((l) => p.push(l));
    expect(evs.map((e) => e.kind)).toEqual(['start', 'call', 'start', 'start', 'call', 'call', 'call']);
    const clone = evs[4] as CallEvent;
    expect(clone).toMatchObject({ tid: 19521, line: 1, endLine: 5, name: 'clone3', result: { value: 19523 } });
    expect(decodeCall(clone.name, clone.args)).toMatchObject({ op: 'clone', vm: true, thread: true });
    const mm = evs[5] as CallEvent;
    expect(mm).toMatchObject({ tid: 19523, line: 4, endLine: 6, name: 'mmap' });
    expect(decodeCall(mm.name, mm.args)).toMatchObject({ op: 'mmap', length: 65536, anonymous: true });
    expect(callText(mm)).toBe('mmap(NULL, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fc4fc4f3000');
    expect(decodeCall((evs[6] as CallEvent).name, (evs[6] as CallEvent).args)).toMatchObject({ op: 'mremap', addr: 0x7fc4fc4f3000, newLength: 262144 });
    // the joined call carries the start's time
    expect(mm.ts).toBe((17 * 3600 + 42 * 60 + 33) * 1e6 + 96726);
  });
  it('joins wait4 and exit pairs, and a thread killed inside a call', () => {
    const p = new StraceParser('t', -1);
    p.push('1 wait4(20370,  <unfinished ...>');
    expect(p.push('1 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 20370')).toMatchObject({ kind: 'call', args: '20370, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL' });
    p.push('2 exit(0 <unfinished ...>');
    expect(p.push('2 <... exit resumed>) = ?')).toMatchObject({ kind: 'call', name: 'exit', result: { unknown: true } });
    p.push('3 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>');
    expect(p.push('3 <... futex resumed> <unfinished ...>) = ?')).toMatchObject({ kind: 'call', name: 'futex', result: { unknown: true } });
    p.push('4 vfork( <unfinished ...>');
    expect(p.push('4 <... vfork resumed>) = 20370')).toMatchObject({ kind: 'call', args: '', result: { value: 20370 } });
  });
  it('a resumed line without its start is an orphan call', () => {
    const p = new StraceParser('t', -1);
    expect(p.push('5 <... mmap resumed>) = 0x7f0000000000')).toMatchObject({ kind: 'call', orphan: true, name: 'mmap', result: { value: 0x7f0000000000 } });
    expect(p.push('5 <... mmap resumed>')).toMatchObject({ kind: 'error' });
  });
  it('an execve in a non-leader thread moves its pending start to the leader pid', () => {
    const p = new StraceParser('t', -1);
    p.push('101 execve("/bin/true", ["true"], 0x1 /* 0 vars */ <unfinished ...>');
    expect(p.push('101 +++ superseded by execve in pid 100 +++')).toMatchObject({ kind: 'exit', how: 'superseded', tid: 101, newTid: 100 });
    expect(p.push('100 <... execve resumed>) = 0')).toMatchObject({ kind: 'call', tid: 100, name: 'execve', line: 1, result: { value: 0 } });
  });
  it('lines without a pid column belong to the default tid (the -ff file pid)', () => {
    const p = new StraceParser('trace.77', 77);
    expect(p.push('10:00:00.000001 brk(NULL) = 0x1000')).toMatchObject({ tid: 77, file: 'trace.77', line: 1 });
    expect(p.sawPid).toBe(false);
    expect(p.push('+++ exited with 0 +++')).toMatchObject({ kind: 'exit', tid: 77, line: 2 });
  });
});
