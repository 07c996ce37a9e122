/**
 * The session on the real tracefs (root only; skipped with the reason otherwise): an instance is
 * created and removed, the top level is untouched, markers come back through trace and
 * trace_pipe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceSession, parseTrace } from '../src/index.js';

const ROOT = '/sys/kernel/tracing';
const why = process.platform !== 'linux' ? 'not Linux' : process.getuid?.() !== 0 ? 'not root' : !existsSync(join(ROOT, 'trace_marker')) ? `no tracefs at ${ROOT}` : undefined;
const top = () => ['tracing_on', 'current_tracer', 'buffer_size_kb', 'trace_clock'].map((f) => readFileSync(join(ROOT, f), 'utf8'));

describe.skipIf(why !== undefined)(`TraceSession on this machine${why ? ` (skipped: ${why})` : ''}`, () => {
  it('records markers in its own instance, through trace and trace_pipe, and removes the instance', async () => {
    const before = top();
    const s = TraceSession.open({ instance: `tlbsim-test-${process.pid}`, events: [{ name: 'tlb/tlb_flush', filter: `common_pid == ${process.pid}` }], bufferSizeKb: 256, clock: 'mono' });
    expect(existsSync(s.dir)).toBe(true);
    expect(readFileSync(s.path('events/tlb/tlb_flush/filter'), 'utf8')).toBe(`common_pid == ${process.pid}\n`);
    let piped = '';
    s.start();
    const p = s.pipe((t) => (piped += t));
    s.mark('tlbsim-test one');
    s.mark('tlbsim-test two');
    const texts = (t: string) => parseTrace(t).events.flatMap((e) => (e.data.kind === 'print' ? [e.data.text] : []));
    for (let i = 0; i < 50 && texts(piped).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    s.mark('tlbsim-test three');
    s.stop();
    expect(texts(piped)).toEqual(['tlbsim-test one', 'tlbsim-test two']);
    expect(texts(s.read())).toEqual(['tlbsim-test three']); // trace_pipe consumed the first two
    s.close();
    expect(existsSync(s.dir)).toBe(false);
    expect(top()).toEqual(before);
  }, 30_000);
});
