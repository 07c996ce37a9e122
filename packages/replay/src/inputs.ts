/**
 * Reading the inputs: one strace output (or several `strace -ff` files merged by timestamp) turned
 * into one ordered stream of events.
 */
import { FtraceReader, looksLikeFtrace, type FtraceOptions } from './ftrace-events.js';
import { StraceParser, type StraceEvent } from './strace-events.js';
import { pidFromFileName } from './strace-line.js';

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
  constructor(index: number, name: string, private readonly sink: EventSink, private readonly ftrace: FtraceOptions) {
    const filePid = pidFromFileName(name);
    this.state = { index, name, parser: new StraceParser(name, filePid ?? -(index + 1)), filePid };
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
      }
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
  const streams = inputs.map((inp, i) => new Stream(i, inp.name, sink, ftrace));
  if (inputs.length === 1) {
    const s = streams[0];
    for (const text of open(inputs[0].lines) as Iterable<string>) sink.feed(s.parse(text), s.state);
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

/** {@link readSync} for inputs that may be asynchronous (streamed files). */
export async function readAsync(inputs: ReplayInput[], sink: EventSink, ftrace: FtraceOptions = {}): Promise<number[]> {
  const streams = inputs.map((inp, i) => new Stream(i, inp.name, sink, ftrace));
  if (inputs.length === 1) {
    const s = streams[0];
    for await (const text of open(inputs[0].lines)) sink.feed(s.parse(text), s.state);
  } else {
    const its = inputs.map((inp) => {
      const src = open(inp.lines) as Partial<AsyncIterable<string> & Iterable<string>>;
      return src[Symbol.asyncIterator] ? src[Symbol.asyncIterator]!() : (src as Iterable<string>)[Symbol.iterator]();
    });
    const pull = async (i: number) => {
      const r = await its[i].next();
      streams[i].head = r.done ? null : streams[i].parse(r.value);
      if (streams[i].head) sink.announce(streams[i].head!);
    };
    for (let i = 0; i < streams.length; i++) await pull(i);
    for (let i = earliest(streams); i >= 0; i = earliest(streams)) {
      sink.feed(streams[i].head!, streams[i].state);
      await pull(i);
    }
  }
  sink.finish();
  return streams.map((s) => s.state.parser.lines);
}
