/**
 * The process-tree recorder on the real tracefs (root only; skipped with the reason otherwise):
 * a shell that forks and execs is recorded with its children, and every setting is put back.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace, recordProcessTree } from '../src/index.js';

const ROOT = '/sys/kernel/tracing';
const why = process.platform !== 'linux' ? 'not Linux' : process.getuid?.() !== 0 ? 'not root' : !existsSync(join(ROOT, 'trace_marker')) ? `no tracefs at ${ROOT}` : undefined;
const top = () => ['tracing_on', 'current_tracer', 'buffer_size_kb', 'trace_clock', 'set_event_pid'].map((f) => readFileSync(join(ROOT, f), 'utf8'));
const instances = () => readdirSync(join(ROOT, 'instances')).filter((d) => d === `tlbsim-${process.pid}`);

describe.skipIf(why !== undefined)(`recordProcessTree on this machine${why ? ` (skipped: ${why})` : ''}`, () => {
  it('records a shell, its forked child and its exec, in its own instance, and removes it', async () => {
    const before = top();
    let text = '';
    const r = await recordProcessTree({
      command: ['/bin/sh', '-c', '/bin/true; exit 3'],
      events: ['sched/sched_switch', 'sched/sched_process_fork', 'sched/sched_process_exec', 'sched/sched_process_exit', 'syscalls/sys_enter_execve', 'syscalls/sys_exit_execve'],
      optionalEvents: ['exceptions/page_fault_user', 'no/such_event'],
      bufferSizeKb: 1024,
      clock: 'mono',
      onText: (t) => (text += t),
    });
    expect(r.status).toBe(3);
    expect(r.events).toContain('sched/sched_process_fork');
    expect(r.events).not.toContain('no/such_event');
    const t = parseTrace(text);
    expect(text).toMatch(new RegExp(`^# tracer: nop\\n#\\n# entries-in-buffer/entries-written: 0/0   #P:${r.cpus}\\n# tlbsim record: root=${r.pid} `));
    const forks = t.events.flatMap((e) => (e.data.kind === 'sched_process_fork' && e.data.parentPid === r.pid ? [e.data.childPid] : []));
    expect(forks).toHaveLength(1);
    const execs = t.events.flatMap((e) => (e.data.kind === 'sched_process_exec' ? [e.data.filename] : []));
    // the stopped shell's exec of the command, then the child's exec of /bin/true
    expect(execs).toEqual(['/bin/sh', '/bin/true']);
    expect(t.events.every((e) => e.pid === r.pid || e.pid === forks[0] || e.data.kind === 'sched_switch')).toBe(true);
    expect(instances()).toEqual([]);
    expect(top()).toEqual(before);
  }, 60_000);
});
