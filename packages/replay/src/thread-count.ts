/**
 * The first pass's light line scanner. Counting threads (how many are alive at once, which gives
 * the machine its CPUs) only clone/clone3/fork/vfork, execve/execveat, exit/exit_group,
 * `<unfinished ...>`/`<... resumed>` pairs, `+++ exited/killed/superseded +++` lines and a
 * thread's first line matter. Every other line is a complete call of a thread already alive: it
 * changes no thread whatever its arguments and result say. Such a line is recognised here from
 * its first characters, with no event built and nothing fed to the engine; any line this scanner
 * is not sure about goes to the full parser (StraceParser), which then reads it as before.
 *
 * It recognises a strict subset of what LineScan.head() reads (the prefix `PID ` of strace -f
 * -o, a `-t/-tt/-ttt/-r` time), and where it accepts a line it finds the same pid and the same
 * start of the call as head() does; `[pid N]`, `-i`'s `[ip]`, odd spacing go to the full parser.
 */
import { isDigit, isSpace } from './strace-scan.js';
import { THREAD_CALL_NAMES } from './syscall-args.js';

/** a line the scanner is not sure about: the full parser reads it */
export const NOT_SURE = 0;
/** a call that changes no thread, on a line without a pid column */
export const IDLE_NO_PID = 1;
/** a call that changes no thread, on a line with a pid column */
export const IDLE_PID = 2;

const UNFINISHED_TEXT = ' <unfinished ...>';

/**
 * The start of a line up to a call's `(`, as LineScan.head() reads its prefix: spaces, `PID `,
 * a time (`HH:MM:SS[.frac]`, `SECONDS.frac`), then a name that is none of the thread calls.
 * `\s` is what isSpace() accepts. Each part can match in one way only (a pid is followed by a
 * space, a time has `:` or `.`, a name starts with a letter): no backtracking makes it accept a
 * split head() would not make. A regular expression, not a loop over the characters: its
 * compiled matcher reads a line several times faster, and this runs for every line.
 */
const IDLE_CALL = new RegExp(`\\s*(?:\\d{1,15}\\s+)?(?:\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d+)?\\s+|\\d+\\.\\d+\\s+)?(?!(?:${THREAD_CALL_NAMES.join('|')})\\()[A-Za-z_]\\w*\\(`, 'y');

/**
 * The light scan of one line; `tid` is the thread whose call it is when {@link scan} is sure.
 * One instance per pass, reused line after line.
 */
export class ThreadCountScan {
  tid = 0;

  /**
   * IDLE_PID / IDLE_NO_PID when `s` is surely a complete call (`name(`, not `<unfinished ...>`)
   * whose name is none of the thread calls (then `tid` is its thread: the pid column, else
   * `defaultTid`); NOT_SURE otherwise. Such a line changes no thread already alive.
   */
  scan(s: string, defaultTid: number): number {
    IDLE_CALL.lastIndex = 0;
    if (!IDLE_CALL.test(s)) return NOT_SURE;
    // `<unfinished ...>` at the end (before trailing spaces) starts a pair the parser must join
    let e = s.length;
    while (e > 0 && isSpace(s.charCodeAt(e - 1))) e--;
    if (s.charCodeAt(e - 1) === 62 /* > */ && e >= UNFINISHED_TEXT.length && s.startsWith(UNFINISHED_TEXT, e - UNFINISHED_TEXT.length)) return NOT_SURE;
    // the leading digits are the pid column when a space follows them (else they start a time)
    let p = 0;
    while (isSpace(s.charCodeAt(p))) p++;
    let pid = 0;
    let i = p;
    for (let c = s.charCodeAt(i); isDigit(c); c = s.charCodeAt(++i)) pid = pid * 10 + c - 48;
    if (i > p && isSpace(s.charCodeAt(i))) {
      this.tid = pid;
      return IDLE_PID;
    }
    this.tid = defaultTid;
    return IDLE_NO_PID;
  }
}
