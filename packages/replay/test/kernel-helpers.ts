/** The committed kernel recordings (test/fixtures/kernel/, see fixtures.json) and what replay makes of them. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { x86 } from '@tlbsim/arch-x86';
import type { ArchBackend } from '@tlbsim/core';
import { countModelEvents, relativeError, replaySync, type FlushFigures, type ReplayOptions, type ReplayResult } from '../src/index.js';

export const KERNEL_DIR = new URL('./fixtures/kernel/', import.meta.url);

interface Index {
  recordings: { file: string; command: string }[];
  strace: { runs: { file: string; pid: number; kernel: FlushFigures }[] };
}
export const INDEX: Index = JSON.parse(readFileSync(new URL('fixtures.json', KERNEL_DIR), 'utf8'));

const cache = new Map<string, string[]>();
/** A fixture's lines (gunzipped). */
export function fixtureLines(file: string): string[] {
  let l = cache.get(file);
  if (!l) {
    const buf = readFileSync(new URL(file, KERNEL_DIR));
    const text = file.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
    l = text.split('\n');
    if (l[l.length - 1] === '') l.pop();
    cache.set(file, l);
  }
  return l;
}

const results = new Map<string, ReplayResult>();

/** A fixture replayed (on x86 by default); the default replay of each file is computed once. */
export function replayFixture(file: string, opts?: ReplayOptions, arch?: ArchBackend, lines?: string[]): ReplayResult {
  const plain = opts === undefined && arch === undefined && lines === undefined;
  if (plain && results.has(file)) return results.get(file)!;
  const r = replaySync([{ name: file, lines: lines ?? fixtureLines(file) }], arch ?? x86(), opts ?? {});
  if (plain) results.set(file, r);
  return r;
}

/** The recording's totals: the kernel's (recorded) and the model's (predicted). */
export function totals(r: ReplayResult): { recorded: FlushFigures; predicted: FlushFigures } {
  const t = r.recording!.comparison!.at(-1)!;
  return { recorded: t.recorded, predicted: t.predicted };
}

export interface ErrorRow {
  name: string;
  recorded: FlushFigures;
  predicted: FlushFigures;
  flushError: number;
  ipiError: number;
}

export function errorRow(name: string, recorded: FlushFigures, predicted: FlushFigures): ErrorRow {
  return { name, recorded, predicted, flushError: relativeError(recorded.flushes, predicted.flushes), ipiError: relativeError(recorded.ipis, predicted.ipis) };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** What an strace replay predicts, counted as the kernel's events are (its own x86 tlb_flush and IPI events). */
export function straceFigures(file: string): FlushFigures {
  const r = replayFixture(file, { trace: true });
  return countModelEvents(r.events ?? []);
}
