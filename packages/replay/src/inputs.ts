/**
 * Reading the inputs: one strace output (or several `strace -ff` files merged by timestamp) turned
 * into one ordered stream of events.
 */
import { FtraceReader, looksLikeFtrace, type FtraceOptions } from './ftrace-events.js';
import { StraceParser, type StraceEvent } from './strace-events.js';
import { LINE_BATCHES, type BatchedLines } from './lines.js';
import { pidFromFileName } from './strace-line.js';
import { IDLE_PID, NOT_SURE } from './thread-count.js';

export type LineSource = Iterable<string> | AsyncIterable<string>;

/** One strace output file (or stream). */
export interface ReplayInput {
  /** shown in reports; for `strace -ff` files `NAME.PID` the pid of lines without a pid column */
  name: string;
  /**
   * The lines. When `cpus` is not given the input is read twice (a first pass counts the
   * concurrent threads): then pass something that can be iterated twice (an array, an object
   * whose [Symbol.asyncIterator] opens the file afresh) or a function returning a fresh iterable.
   */
  lines: LineSource | (() => LineSource);
}

/** What reads an input's lines into events: strace's parser, or a kernel recording's reader. */
export interface LineParser {
  push(text: string): StraceEvent;
  readonly lines: number;
  /** lines carry their thread's id */
  readonly sawPid: boolean;
}

/** An input while it is read. */
export interface InputState {
  index: number;
  name: string;
  parser: LineParser;
  filePid: number | undefined;
  /** set once the first line showed a kernel recording (ftrace text) */
  recording?: FtraceReader;
}

/** Where the events of the inputs go, in the order they are merged. */
export interface EventSink {
  /** the next event of an input other than the one fed next (several inputs only) */
  announce(ev: StraceEvent): void;
  feed(ev: StraceEvent, input: InputState): void;
  finish(): void;
  /** an input turned out to be a kernel recording (called at its first line, before its events) */
  recording?(reader: FtraceReader): void;
  /**
   * The calls of thread `tid` that change no thread (not clone, execve, exit...) would change
   * nothing now (the first pass, counting threads): their lines need not be read further.
   * Asked for one input only, just before its event is fed.
   */
  readonly ignoresCallsOf?: (tid: number) => boolean;
  /**
   * The first pass, one strace input: the light scan of a line (thread-count.ts), IDLE_PID or
   * IDLE_NO_PID when it surely changes no thread now (then it is counted, not parsed), NOT_SURE
   * to parse it. `defaultTid`: the thread of a line without a pid column.
   */
  readonly skipsLine?: (text: string, defaultTid: number) => number;
}

/** True when iterating the source again would not start it over. */
export function isOneShot(src: LineSource | (() => LineSource)): boolean {
  if (typeof src === 'function') return false;
  const s = src as { [Symbol.iterator]?: () => unknown; [Symbol.asyncIterator]?: () => unknown };
  if (typeof s[Symbol.iterator] === 'function') return s[Symbol.iterator]!() === src;
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!() === src;
  return false;
}

function open(src: LineSource | (() => LineSource)): LineSource {
  return typeof src === 'function' ? src() : src;
}

const DAY_US = 86_400e6;

/** One input being read: its parser and, for merging several inputs, the next event. */
class Stream {
  readonly state: InputState;
  head: StraceEvent | null = null;
  key = 0;
  private lastTs = -Infinity;
  private offset = 0;
  private sniffed = false;
  /** the strace parser once the first line showed strace output, when lines may be skipped (see {@link skipped}) */
  private light: StraceParser | undefined = undefined;
  /** @param alone the only input: each event is fed as soon as it is read */
  constructor(index: number, name: string, private readonly sink: EventSink, private readonly ftrace: FtraceOptions, private readonly alone: boolean) {
    const filePid = pidFromFileName(name);
    const parser = new StraceParser(name, filePid ?? -(index + 1));
    if (alone) parser.idle = sink.ignoresCallsOf;
    this.state = { index, name, parser, filePid };
  }
  parse(text: string): StraceEvent {
    if (!this.sniffed) {
      // the first line tells a kernel recording from strace output
      this.sniffed = true;
      if (looksLikeFtrace(text)) {
        const r = new FtraceReader(this.state.name, this.ftrace);
        this.state.parser = r;
        this.state.recording = r;
        this.sink.recording?.(r);
      } else if (this.alone && this.sink.skipsLine !== undefined) this.light = this.state.parser as StraceParser;
    }
    const ev = this.state.parser.push(text);
    if (ev.ts !== undefined) {
      let ts = ev.ts + this.offset;
      // -t/-tt print the time of day: past midnight it starts again from 0
      if (ts < this.lastTs - DAY_US / 2) {
        this.offset += DAY_US;
        ts += DAY_US;
      }
      ev.ts = ts;
      if (ts > this.lastTs) this.lastTs = ts;
      this.key = ts;
    }
    return ev;
  }

  /**
   * The first pass, the only input: true when the light scan is sure the line changes no thread
   * (it is counted as read, and not parsed). Its time is not read: with one input, counting
   * threads, nothing uses the events' times (they order several inputs only).
   */
  skipped(text: string): boolean {
    const p = this.light;
    if (p === undefined) return false;
    const r = this.sink.skipsLine!(text, p.defaultTid);
    if (r === NOT_SURE) return false;
    p.lines++;
    if (r === IDLE_PID) p.sawPid = true;
    return true;
  }
}

/** Index of the stream whose head comes first (earliest timestamp, then input order). */
function earliest(streams: Stream[]): number {
  let best = -1;
  for (let i = 0; i < streams.length; i++) {
    const s = streams[i];
    if (!s.head) continue;
    if (best < 0 || s.key < streams[best].key) best = i;
  }
  return best;
}

/** Feed every line of synchronous inputs to `sink`; returns the lines read per input. */
export function readSync(inputs: ReplayInput[], sink: EventSink, ftrace: FtraceOptions = {}): number[] {
  const streams = inputs.map((inp, i) => new Stream(i, inp.name, sink, ftrace, inputs.length === 1));
  if (inputs.length === 1) {
    const s = streams[0];
    for (const text of open(inputs[0].lines) as Iterable<string>) if (!s.skipped(text)) sink.feed(s.parse(text), s.state);
  } else {
    const its = inputs.map((inp) => (open(inp.lines) as Iterable<string>)[Symbol.iterator]());
    const pull = (i: number) => {
      const r = its[i].next();
      streams[i].head = r.done ? null : streams[i].parse(r.value);
      if (streams[i].head) sink.announce(streams[i].head!);
    };
    for (let i = 0; i < streams.length; i++) pull(i);
    for (let i = earliest(streams); i >= 0; i = earliest(streams)) {
      sink.feed(streams[i].head!, streams[i].state);
      pull(i);
    }
  }
  sink.finish();
  return streams.map((s) => s.state.parser.lines);
}

/**
 * A source's lines one at a time, with as few waits as the source allows: none for a synchronous
 * iterable, one per batch for {@link BatchedLines}, one per line for any other async iterable.
 */
class LineCursor {
  private batch: readonly string[] = [];
  private at = 0;
  private done = false;
  private readonly sync: Iterator<string> | undefined;
  private readonly batches: AsyncIterator<readonly string[]> | undefined;
  private readonly lines: AsyncIterator<string> | undefined;

  constructor(src: LineSource) {
    const s = src as Partial<Iterable<string> & AsyncIterable<string> & BatchedLines>;
    if (typeof s[LINE_BATCHES] === 'function') this.batches = s[LINE_BATCHES]!();
    else if (typeof s[Symbol.asyncIterator] === 'function') this.lines = s[Symbol.asyncIterator]!();
    else this.sync = (src as Iterable<string>)[Symbol.iterator]();
  }

  /** The next line without waiting: null at the end, undefined when it must be waited for ({@link next}). */
  take(): string | null | undefined {
    if (this.at < this.batch.length) return this.batch[this.at++];
    if (this.sync) {
      const r = this.sync.next();
      if (r.done) this.done = true;
      return r.done ? null : r.value;
    }
    return this.done ? null : undefined;
  }

  /** The next line, or null at the end. */
  async next(): Promise<string | null> {
    for (;;) {
      const t = this.take();
      if (t !== undefined) return t;
      const r = this.batches ? await this.batches.next() : await this.lines!.next();
      if (r.done) {
        this.done = true;
        this.batch = [];
      } else this.batch = this.batches ? (r.value as readonly string[]) : [r.value as string];
      this.at = 0;
    }
  }

  /** Stop early (an error): the source may close its file, as a for-of loop left early lets it. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.sync) this.sync.return?.();
    else await (this.batches ?? this.lines)!.return?.();
  }
}

/** {@link readSync} for inputs that may be asynchronous (streamed files). */
export async function readAsync(inputs: ReplayInput[], sink: EventSink, ftrace: FtraceOptions = {}): Promise<number[]> {
  const streams = inputs.map((inp, i) => new Stream(i, inp.name, sink, ftrace, inputs.length === 1));
  const cursors = inputs.map((inp) => new LineCursor(open(inp.lines)));
  let ok = false;
  try {
    if (inputs.length === 1) {
      const s = streams[0];
      const cur = cursors[0];
      for (;;) {
        let text = cur.take();
        if (text === undefined) text = await cur.next();
        if (text === null) break;
        if (!s.skipped(text)) sink.feed(s.parse(text), s.state);
      }
    } else {
      const pull = (i: number, text: string | null) => {
        streams[i].head = text === null ? null : streams[i].parse(text);
        if (streams[i].head) sink.announce(streams[i].head!);
      };
      for (let i = 0; i < streams.length; i++) pull(i, await cursors[i].next());
      for (let i = earliest(streams); i >= 0; i = earliest(streams)) {
        sink.feed(streams[i].head!, streams[i].state);
        const text = cursors[i].take();
        pull(i, text !== undefined ? text : await cursors[i].next());
      }
    }
    ok = true;
  } finally {
    if (!ok) {
      for (const c of cursors) {
        try {
          await c.close();
        } catch {
          // the error that stopped the reading is the one reported
        }
      }
    }
  }
  sink.finish();
  return streams.map((s) => s.state.parser.lines);
}
