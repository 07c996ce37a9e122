/**
 * --trace FILE: each run's trace events written to the file as they happen (MachineOptions.
 * traceSink), in the chosen format, so memory does not grow with the trace. The bytes are those
 * of core's toPerfetto / toJsonl / toFtrace over the same runs (a test holds them equal).
 * --trace-limit N keeps the first N events of each run and says so: on stderr, and in the file
 * (Perfetto's `metadata`, a last JSONL object, an ftrace comment).
 */
import { FTRACE_HEADER, FTRACE_NO_EVENTS, PERFETTO_HEAD, ftraceLine, jsonlLine, perfettoEvents, perfettoProcess, perfettoTail, type Machine, type TraceEvent, type TraceSink } from '@tlbsim/core';
import type { TraceFormat } from './common.js';
import { FileStream } from './file-stream.js';

/** One architecture run's part of the trace. */
export interface TraceRun {
  /** give it to the run's Machine (MachineOptions.traceSink) */
  readonly sink: TraceSink;
  /** the run's machine, just made (before any event): writes what opens the run */
  start(m: Machine): void;
  /** the run is over: writes what closes it */
  end(): void;
}

/** A run the limit cut short: what it recorded of how many events. */
export interface Truncated {
  run: string;
  recorded: number;
  events: number;
}

export class TraceWriter {
  private readonly out: FileStream;
  private runs = 0;
  /** Perfetto: no comma before the first element of traceEvents */
  private first = true;
  readonly truncated: Truncated[] = [];

  constructor(readonly file: string, readonly format: TraceFormat, readonly limit = Infinity) {
    this.out = new FileStream(file);
    if (format === 'perfetto') this.out.write(PERFETTO_HEAD);
  }

  private element(x: unknown): void {
    this.out.write(this.first ? JSON.stringify(x) : ',' + JSON.stringify(x));
    this.first = false;
  }

  /** The part of the run of variant `id` (`x86`, `x86:invlpgb=on`). */
  run(id: string): TraceRun {
    const pid = ++this.runs;
    let seen = 0;
    let lines = 0;
    let ftrace: Machine['runtime'] | undefined;
    const format = this.format;
    const record = (ev: TraceEvent): void => {
      if (format === 'perfetto') for (const c of perfettoEvents(ev, pid)) this.element(c);
      else if (format === 'jsonl') this.out.write(jsonlLine(id, ev));
      else {
        const line = ftraceLine(ev, ftrace);
        if (line === undefined) return;
        lines++;
        this.out.write(line);
      }
    };
    return {
      sink: (ev) => {
        if (++seen <= this.limit) record(ev);
      },
      start: (m) => {
        const label = `${id}: ${m.arch.label}`;
        if (format === 'perfetto') for (const c of perfettoProcess(label, pid, m.cpus.length)) this.element(c);
        else if (format === 'ftrace') {
          ftrace = m.runtime;
          this.out.write(`${pid > 1 ? '\n' : ''}# tlbsim ${label}\n${FTRACE_HEADER}`);
        }
      },
      end: () => {
        const cut = seen > this.limit ? { run: id, recorded: this.limit, events: seen } : undefined;
        if (cut) this.truncated.push(cut);
        if (format === 'ftrace') {
          if (lines === 0) this.out.write(FTRACE_NO_EVENTS);
          if (cut) this.out.write(`# tlbsim: ${limitNote(this.limit, cut)}\n`);
        } else if (format === 'jsonl' && cut) {
          this.out.write(JSON.stringify({ arch: id, name: 'trace_limit', cat: 'tlbsim', args: { traceLimit: this.limit, recorded: cut.recorded, events: cut.events } }) + '\n');
        }
      },
    };
  }

  /** Close the file and put it in place; the notes to print (one per run the limit cut short). */
  finish(): string[] {
    if (this.format === 'perfetto') {
      const meta = this.truncated.length ? { traceLimit: this.limit, truncated: this.truncated } : undefined;
      this.out.write(perfettoTail(meta));
    }
    this.out.finish();
    return this.truncated.map((t) => `${this.file}: ${t.run}: ${limitNote(this.limit, t)}`);
  }

  abort(): void {
    this.out.abort();
  }
}

function limitNote(limit: number, t: Truncated): string {
  return `--trace-limit ${limit}: recorded the first ${t.recorded} of ${t.events} trace events; the rest were not recorded`;
}
