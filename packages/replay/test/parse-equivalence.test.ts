/**
 * The character-code scanner (strace-scan.ts) and the argument decoder's fast paths read exactly
 * what the pattern-based parser they replaced read (test/reference/; the decoder's general path,
 * decodeGeneral, for the arguments): the same values, the same
 * keys in the same order, the same error messages, on every fixture line, on lines built to hit
 * each edge of the prefix and result grammars, and on random and mutated lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closingParen, decodeCall, parseLine, parseResult, StraceParser } from '../src/index.js';
import { parseCallBody } from '../src/strace-line.js';
import * as ref from './reference/strace-line.js';
import { decodeGeneral as refDecodeCall } from '../src/syscall-args.js';
import { ReferenceParser } from './reference/strace-events.js';

/** Same keys in the same order, same values (Object.is: -0 and NaN count). */
function same(a: unknown, b: unknown, at = '$'): string | null {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? null : `${at}: ${String(a)} !== ${String(b)}`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join() !== kb.join()) return `${at}: keys ${ka.join()} !== ${kb.join()}`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${at}: prototypes differ`;
  for (const k of ka) {
    const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

function agrees(line: string): void {
  const d = same(parseLine(line), ref.parseLine(line));
  if (d) expect.fail(`${JSON.stringify(line)}: ${d}`);
  const p = ref.parseLine(line);
  if (p.type === 'call' || p.type === 'unfinished') {
    const dd = same(decodeCall(p.name, p.args), refDecodeCall(p.name, p.args));
    if (dd) expect.fail(`decodeCall ${JSON.stringify(p.name)} ${JSON.stringify(p.args)}: ${dd}`);
  }
}

function agreesAfterEquals(raw: string): void {
  const d = same(parseResult(raw), ref.parseResult(raw)) ?? same(parseCallBody(`mmap(${raw}`, 'mmap', 1, 2), ref.parseCallBody(`mmap(${raw}`, 'mmap', 1, 2));
  if (d) expect.fail(`${JSON.stringify(raw)}: ${d}`);
  for (let i = 0; i <= raw.length; i++) if (closingParen(raw, i) !== ref.closingParen(raw, i)) expect.fail(`closingParen ${JSON.stringify(raw)} from ${i}`);
}

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtureDirs = [join(here, 'fixtures', 'strace'), join(here, '..', '..', '..', 'apps', 'cli', 'test', 'fixtures', 'strace')];
const fixtureLines = fixtureDirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => !f.endsWith('.md') && !f.endsWith('.c'))
    .flatMap((f) => readFileSync(join(d, f), 'utf8').split('\n').map((l) => ({ f, l }))),
);

const PREFIXES = ['', '123 ', '123\t', '123  ', '123', '[pid 42] ', '[pid\t42]\t', '[pid42] ', '[pid 42]', '[pid 4x] ', ' 7 ', '\u00a07 ', '\ufeff7 ', '7 \u2028'];
const TIMES = ['', '10:00:01 ', '1:02:03.5 ', '10:00:01.123456789 ', '10:00:01.1x ', '10:00:01. ', '100:00:01 ', '10:0:01 ', '1700000000.000250 ', '0.000001 ', '12. ', '.5 ', '1234567890123456789.5 ', '23:59:59.999999\t'];
const IPS = ['', '[00007f0011223344] ', '[????????????????] ', '[abc] ', '[0123456789abcdef0] ', '[ABCD] ', '[abcd]'];
const BODIES = [
  'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1234560000',
  'mmap(0x7f0000000000, 4096, PROT_READ, MAP_SHARED|MAP_FIXED, 3</tmp/f>, 0x1000) = 0x7f0000000000 <0.000012>',
  'munmap(0x1000, 4096) = 0', 'munmap(0x1000, 4096)=0', 'munmap(0x1000, 4096) 0', 'munmap(0x1000, 4096',
  'brk(NULL) = ?', 'brk(NULL) = -1 ENOMEM (Cannot allocate memory)', 'brk(NULL) = -0', 'brk(NULL) = 0x', 'brk(NULL) = -x',
  'mprotect(0x1000, 4096, PROT_NONE) = 0', 'write(1, "a)b\\"c", 5) = 5', 'f(/* ) */ 1) = 1', 'f(/* ) 1) = 1', 'f([1, (2)], {a=3}) = 4',
  'mmap(NULL, 4096 <unfinished ...>', 'mmap( <unfinished ...>', '<... mmap resumed>) = 0x1000', '<... mmap resumed> ) = 0', '<...mmap resumed>) = 0', '<... 9x resumed>) = 0', '<... mmap resumed>\u2028) = 0',
  '+++ exited with 0 +++', '+++ killed by SIGKILL (core dumped) +++', '+++ superseded by execve in pid 12 +++', '+++', '+++ ', '+++ nothing +++',
  '--- SIGCHLD {si_signo=SIGCHLD} ---', '--- stopped by SIGSTOP ---', '--- ', '---', 'strace: Process 1 attached', 'strace:', '[ Process PID=1 runs in 32 bit mode. ]', '????( ', '> foo', '>',
  'exit_group(0) = ?', 'clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 14541', 'x = 1', '', '  ', 'a'.repeat(60),
  'mmap(NULL, 1, PROT_READ, MAP_PRIVATE, -1, 0) = 12345678901234567890', 'mmap(NULL, 1, PROT_READ, MAP_PRIVATE, -1, 0) = 0xffffffffffffffff1',
  'f() = 0 EAGAIN', 'f() = 0 Eagain', 'f() = 0 E_X', 'f() = 0<x> EPERM (x)', 'f() = 0<x EPERM', 'f() = 1 <0.5>', 'f() = <0.5>', 'f() =  <0.5>', 'f() = 3</a b>',
];

describe('the scanner reads what the patterns read', () => {
  it('every fixture line', () => {
    expect(fixtureLines.length).toBeGreaterThan(500);
    for (const { l } of fixtureLines) {
      agrees(l);
      agrees(l + '\r');
    }
  });

  it('each prefix, time, -i and body variant, and their combinations', () => {
    let n = 0;
    for (const p of PREFIXES) for (const t of TIMES) for (const ip of IPS) for (const b of BODIES) {
      agrees(p + t + ip + b);
      n++;
    }
    for (const b of BODIES) {
      agrees(`${b}  `);
      agrees(`${b}\r`);
      agrees(` \t${b}\r\n`);
      agreesAfterEquals(b);
    }
    expect(n).toBe(PREFIXES.length * TIMES.length * IPS.length * BODIES.length);
  });

  const alphabet = fc.constantFrom(...'0123456789abcdefxEA_ ()[]{},|="\\/*<>.:?+-\t\r\n\u00a0\u2028pidNULLMAP_PROT'.split(''), 'PROT_READ', 'MAP_FIXED', 'MAP_HUGE_2MB', ' <unfinished ...>', ' resumed>', '<... ', 'mmap(', '0x7f00', ' = ', 'ENOMEM', '[pid ', 'constructor', '__proto__');
  const noise = fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''));

  it('random lines of the grammar pieces', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), fc.constantFrom(...TIMES), fc.constantFrom(...IPS), fc.constantFrom(...BODIES), noise, fc.nat(), (p, t, ip, b, x, at) => {
        const body = b.slice(0, at % (b.length + 1)) + x + b.slice(at % (b.length + 1));
        agrees(p + t + ip + body);
        agrees(x);
        agreesAfterEquals(x);
      }),
      { numRuns: 3000 },
    );
  });

  it('the events of the StraceParser (joined unfinished/resumed pairs included)', () => {
    const files = new Map<string, string[]>();
    for (const { f, l } of fixtureLines) files.set(f, [...(files.get(f) ?? []), l]);
    const lines = fc.array(fc.oneof(fc.constantFrom(...fixtureLines.map((x) => x.l)), fc.constantFrom(...BODIES).map((b) => `7 ${b}`)), { maxLength: 30 });
    const check = (ls: string[]) => {
      const a = new StraceParser('f', -1);
      const b = new ReferenceParser('f', -1);
      for (const l of ls) {
        const d = same(a.push(l), b.push(l));
        if (d) expect.fail(`${JSON.stringify(l)}: ${d}`);
      }
      expect([a.lines, a.sawPid]).toEqual([b.lines, b.sawPid]);
    };
    for (const ls of files.values()) check(ls);
    fc.assert(fc.property(lines, check), { numRuns: 500 });
  });

  it('decodeCall: the fast paths decode what the general way decodes, or decline', () => {
    const NUM = fc.constantFrom('NULL', '0', '4096', '0x7f0000000000', '0x7F00', '-1', '-0x10', '0x', '0xg', '-', '', ' 12 ', '3</lib/x.so>', '12345678901234567890', '0x1234567890abcdef1', 'x1', '007', 'NULLx', '1 /* c */');
    const PROTS = fc.constantFrom('PROT_READ', 'PROT_READ|PROT_WRITE', 'PROT_READ | PROT_EXEC', 'PROT_NONE', 'PROT_BOGUS', 'PROT_', 'PROT', '7', '0x10|PROT_READ', 'x', '', '|PROT_WRITE|', 'PROT_READ|constructor');
    const FLAGS = fc.constantFrom('MAP_PRIVATE|MAP_ANONYMOUS', 'MAP_SHARED', 'MAP_SHARED_VALIDATE|MAP_FIXED_NOREPLACE', 'MAP_ANON|MAP_FIXED|MAP_LOCKED', 'MAP_HUGETLB|MAP_HUGE_2MB', 'MAP_HUGE_2MB|MAP_HUGE_1GB|MAP_HUGE_2MB', 'MAP_HUGE_2MB|MAP_HUGE_2MB', 'MAP_POPULATE|MAP_NORESERVE', '0x40', 'constructor', '__proto__|MAP_SHARED', 'MAP_PRIVATE /* x */', 'MAP_HUGE_3MB', 'MAP_STACK|0x20000', ' MAP_FIXED ', '', 'MREMAP_MAYMOVE|MREMAP_FIXED', 'MREMAP_DONTUNMAP', 'MREMAP_MAYMOVE | MREMAP_DONTUNMAP');
    const ADVICE = fc.constantFrom('MADV_DONTNEED', 'MADV_FREE', 'MADV_DONTNEED_LOCKED', 'MADV_WILLNEED', 'MADV_DONTNEED /* 4 */', 'MADV_HUGEPAGE', 'constructor', 'toString', '0x99', '', 'MADV_');
    const EXTRA = fc.constantFrom('', ', 5', ', "a,b"', ', {x=1, y=2}', ', /* , */ 1', ', [1, 2]', ',', ', ,');
    const argsOf = fc.oneof(
      fc.tuple(NUM, NUM, PROTS, FLAGS, NUM, NUM, EXTRA).map(([a, l, p, f, fd, o, x]) => ['mmap', `${a}, ${l}, ${p}, ${f}, ${fd}, ${o}${x}`]),
      fc.tuple(NUM, NUM, PROTS, FLAGS, NUM, NUM).map(([a, l, p, f, fd, o]) => ['mmap2', `${a},${l},${p},${f},${fd},${o}`]),
      fc.tuple(NUM, NUM, PROTS, FLAGS, EXTRA).map(([a, l, p, f, x]) => ['mmap', `${a}, ${l}, ${p}, ${f}${x}`]),
      fc.tuple(NUM, NUM, EXTRA).map(([a, l, x]) => ['munmap', `${a}, ${l}${x}`]),
      fc.tuple(NUM, EXTRA).map(([a, x]) => ['munmap', `${a}${x}`]),
      fc.tuple(fc.constantFrom('mprotect', 'pkey_mprotect'), NUM, NUM, PROTS, EXTRA).map(([n, a, l, p, x]) => [n, `${a}, ${l}, ${p}${x}`]),
      fc.tuple(NUM, NUM, ADVICE, EXTRA).map(([a, l, adv, x]) => ['madvise', `${a}, ${l}, ${adv}${x}`]),
      fc.tuple(NUM, NUM, NUM, FLAGS, NUM, EXTRA).map(([a, o, n, f, na, x]) => ['mremap', `${a}, ${o}, ${n}, ${f}, ${na}${x}`]),
      fc.tuple(NUM, NUM, NUM, FLAGS).map(([a, o, n, f]) => ['mremap', `${a}, ${o}, ${n}, ${f}`]),
      fc.tuple(NUM, NUM, NUM).map(([a, o, n]) => ['mremap', `${a}, ${o}, ${n}`]),
      fc.tuple(NUM, EXTRA).map(([a, x]) => ['brk', `${a}${x}`]),
      fc.constantFrom(['brk', ''], ['munmap', ''], ['mmap', ' '], ['mlock', '0x1, 2'], ['constructor', ''], ['wait4', '-1']),
    );
    const agreeDecode = (name: string, args: string) => {
      const d = same(decodeCall(name, args), refDecodeCall(name, args));
      if (d) expect.fail(`decodeCall ${name}(${args}): ${d}`);
    };
    fc.assert(fc.property(argsOf, ([name, args]) => agreeDecode(name, args)), { numRuns: 5000 });
    for (const { l } of fixtureLines) {
      const p = ref.parseLine(l);
      if (p.type === 'call' || p.type === 'unfinished') agreeDecode(p.name, p.args);
    }
  });
});
