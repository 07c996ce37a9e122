/**
 * @tlbsim/replay: `tlbsim replay` (issue #9), strace output of a real program replayed through
 * @tlbsim/core's mm operations on any backend. A front end: it drives the model, it is not part of it.
 */
export { replay, replaySync } from './replay.js';
export { ReplayError, type ReplayOptions, type TouchRule } from './options.js';
export type { ReplayInput, LineSource } from './inputs.js';
export { LineSplitter, linesOf, lineBatchesOf, batchedLines, LINE_BATCHES, type BatchedLines } from './lines.js';
export type { ReplayResult } from './result.js';
export type { SkippedLine } from './tally.js';
export type { CallSite } from './call-sites.js';
export { parseLine, parseResult, splitArgs, closingParen, pidFromFileName, type ParsedLine, type StraceResult } from './strace-line.js';
export {
  StraceParser, callText,
  type StraceEvent, type CallEvent, type StartEvent, type ExitEvent, type SignalEvent, type NoiseEvent, type ErrorEvent,
} from './strace-events.js';
export {
  decodeCall, parseNum, parseProt, execName, isCloneName, madviseIgnoredReason, resultProblem,
  type Decoded, type ProtBits, type MadviseKind,
} from './syscall-args.js';
export { AddressMap, AddressMaps, type SimRange } from './address-map.js';
export { TOUCH_BOUNDS, NORESERVE_LABEL } from './touch.js';
export { FtraceReader, looksLikeFtrace, type FtraceOptions } from './ftrace-events.js';
export { FlushCounter, countModelEvent, countModelEvents, comparisonRows, agreement, relativeError, PAGE_FAULT, EXIT, OTHER, type ComparisonRow, type FlushFigures } from './kernel-flushes.js';
export type { RecordingFacts } from './result.js';
export type { FaultEvent, SwitchEvent } from './strace-events.js';
export { isKernelThread } from './recorded-model.js';
