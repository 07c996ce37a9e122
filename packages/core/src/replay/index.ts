/** `tlbsim replay` (issue #9): replay strace output through the mm operations on any backend. */
export {
  replay, replaySync, ReplayError,
  type ReplayInput, type ReplayOptions, type ReplayResult, type TouchRule, type LineSource, type SkippedLine, type CallSite,
} from './replay.js';
export {
  StraceParser, parseLine, parseResult, decodeCall, splitArgs, closingParen, parseNum, parseProt, pidFromFileName, callText,
  execName, isCloneName, madviseIgnoredReason,
  type ParsedLine, type StraceResult, type StraceEvent, type CallEvent, type StartEvent, type ExitEvent, type SignalEvent,
  type NoiseEvent, type ErrorEvent, type Decoded, type ProtBits, type MadviseKind,
} from './strace.js';
export { AddressMap, type SimRange } from './addr.js';
