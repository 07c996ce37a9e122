import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScenarioError, generic, parseScenario, runScenario, toFtrace, toJsonl, toPerfetto } from '../src/index.js';

const base = `
name: two-thread munmap
machine: { cpus: 2 }
processes:
  - name: A
    threads:
      - { name: t0, cpu: 0 }
      - { name: t1, cpu: 1 }
ops:
  - mmap: { process: A, addr: 0x400000, length: 2M }
  - touch: { thread: t0, addr: 0x400000, pages: 8 }
  - munmap: { thread: t0, addr: 0x400000, length: 0x8000 }
  - munmap: { thread: t0, addr: 0x400000, length: 0 }
`;

function err(text: string, source = 'x.yaml'): ScenarioError {
  try {
    parseScenario(text, source);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario loading', () => {
  it('parses YAML with hex and size suffixes', () => {
    const s = parseScenario(base, 'a.yaml');
    expect(s.ops[0]).toEqual({ op: 'mmap', args: expect.objectContaining({ addr: 0x400000, length: 0x200000, prot: 'rw' }) });
    expect(s.machine).toEqual({ cpus: 2 });
  });
  it('parses the same scenario from JSON', () => {
    const j = JSON.stringify({
      machine: { cpus: 2 },
      processes: [{ name: 'A', threads: [{ name: 't0', cpu: 0 }] }],
      ops: [{ mmap: { process: 'A', addr: '0x400000', length: '2M' } }, { touch: { thread: 't0', addr: 4194304, pages: 8 } }],
    });
    const s = parseScenario(j, 'a.json');
    expect(s.ops.map((o) => o.op)).toEqual(['mmap', 'touch']);
    expect(runScenario(s, generic()).metrics.pagesFreed).toBe(0);
    expect(() => parseScenario('{ "ops": [', 'b.json')).toThrowError(/b\.json: invalid JSON/);
  });
  it('names the field of an unaligned address', () => {
    const e = err(base.replace('addr: 0x400000, pages: 8', 'addr: 0x400010, pages: 8'));
    expect(e.path).toBe('ops[1].touch.addr');
    expect(e.message).toContain('page-aligned');
  });
  it('names an unknown op with a suggestion', () => {
    const e = err(base.replace('- munmap: { thread: t0, addr: 0x400000, length: 0x8000 }', '- munmapp: { thread: t0, addr: 0x400000, length: 0x8000 }'));
    expect(e.path).toBe('ops[2].munmapp');
    expect(e.message).toContain('did you mean "munmap"');
  });
  it('names an unknown field', () => {
    const e = err(base.replace('{ cpus: 2 }', '{ cpus: 2, speed: 3 }'));
    expect(e.path).toBe('machine');
    expect(e.message).toContain('unknown field "speed"');
  });
  it('refuses machine.seed, which has no effect', () => {
    const e = err(base.replace('{ cpus: 2 }', '{ cpus: 2, seed: 7 }'));
    expect(e.path).toBe('machine.seed');
    expect(e.message).toBe('x.yaml: machine.seed: has no effect (the model makes no random choice): remove it');
  });
  it('names a misspelt field rather than the required one it leaves missing', () => {
    const e = err(base.replace('{ thread: t0, addr: 0x400000, length: 0x8000 }', '{ thread: t0, addr: 0x400000, lenght: 0x8000 }'));
    expect(e.path).toBe('ops[2].munmap');
    expect(e.message).toContain('unknown field "lenght"');
    const m = err(base.replace('{ thread: t0, addr: 0x400000, length: 0x8000 }', '{ thread: t0, addr: 0x400000 }'));
    expect(m.path).toBe('ops[2].munmap.length');
    expect(m.message).toContain('missing field');
  });
  it('refuses too many CPUs and unknown threads', () => {
    expect(err(base.replace('cpus: 2', 'cpus: 2048')).path).toBe('machine.cpus');
    expect(err(base.replace('{ thread: t0, addr: 0x400000, pages: 8 }', '{ thread: t9, addr: 0x400000, pages: 8 }')).message).toContain('unknown thread "t9"');
    expect(err(base.replace('{ name: t1, cpu: 1 }', '{ name: t1, cpu: 5 }')).path).toBe('processes[0].threads[1].cpu');
  });
  it('reports YAML syntax errors with a line', () => {
    expect(err('ops: [\n  - a: 1\n', 'y.yaml').message).toMatch(/invalid YAML at line \d+/);
  });
  it('an overlapping mmap is a scenario error at its address', () => {
    const s = parseScenario(base.replace('ops:\n', 'ops:\n  - mmap: { process: A, addr: 0x500000, length: 4K }\n'), 'a.yaml');
    expect(() => runScenario(s, generic())).toThrowError(/ops\[1\]\.mmap\.addr: .*overlaps/);
  });
});

describe('scenario runs', () => {
  it('a refused op returns the kernel error, the run goes on', () => {
    const r = runScenario(parseScenario(base, 'a.yaml'), generic());
    expect(r.ops.map((o) => [o.op, o.ok, o.errno])).toEqual([['mmap', true, undefined], ['touch', true, undefined], ['munmap', true, undefined], ['munmap', false, 'EINVAL']]);
    expect(r.metrics.pagesFreed).toBe(8);
    expect(r.metrics.archFlushes).toBe(1);
    expect(r.metrics.ipis).toBe(1);
    expect(r.violations).toEqual([]);
  });
  it('is deterministic: same input, byte-identical traces', () => {
    const run = () => runScenario(parseScenario(base, 'a.yaml'), generic(), { trace: true });
    const a = run();
    const b = run();
    expect(toJsonl([{ arch: 'generic', events: a.events! }])).toBe(toJsonl([{ arch: 'generic', events: b.events! }]));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
  it('emits Perfetto JSON with one process per run, a track per CPU and IPI flows', () => {
    const r = runScenario(parseScenario(base, 'a.yaml'), generic(), { trace: true });
    const p = toPerfetto([{ label: r.label, nrCpus: 2, events: r.events! }]);
    const names = p.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.name);
    expect(names).toEqual(['generic (asm-generic defaults)', undefined, 'CPU 0', 'CPU 1']);
    const s = p.traceEvents.filter((e) => e.ph === 's');
    const f = p.traceEvents.filter((e) => e.ph === 'f');
    expect(s).toHaveLength(1);
    expect(f).toHaveLength(1);
    expect(f[0].tid).toBe(1);
    expect(f[0].id).toBe(s[0].id);
  });
  it('formats tlb:tlb_flush lines as the kernel prints them', () => {
    const txt = toFtrace([{ ts: 1_500_000, cpu: 1, name: 'tlb_flush', cat: 'tlb', args: { pages: -1, reason: 1 } }]);
    expect(txt.trim().split('\n').pop()).toBe('          <idle>-0       [001] d..1.     0.001500000: tlb_flush: pages:-1 reason:remote shootdown (1)');
    const named = toFtrace([{ ts: 2_250, cpu: 0, name: 'tlb_flush', cat: 'tlb', args: { pages: 8, reason: 4 }, task: 't0-1000' }]);
    expect(named.trim().split('\n').pop()).toBe('              t0-1000    [000] d..1.     0.000002250: tlb_flush: pages:8 reason:remote IPI send (4)');
    expect(toFtrace([])).toContain('# no event of this run has a kernel tracepoint');
  });
});

describe('docs/scenarios.md', () => {
  it('its example parses and runs, with every op of the table it documents', () => {
    const md = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(md)![1];
    const r = runScenario(parseScenario(yaml, 'scenarios.md'), generic());
    expect(r.ops.every((o) => o.ok)).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.metrics.pagesFreed).toBe(16);
    for (const op of ['mmap', 'touch', 'munmap', 'madvise', 'mprotect', 'mremap', 'fork', 'exit', 'exit_process', 'sleep', 'spawn', 'reclaim', 'gup_fast_begin']) {
      expect(md).toContain(`\`${op}\``);
    }
  });
});
