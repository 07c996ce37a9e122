/**
 * Ctrl-C (SIGINT) and SIGTERM. Until the CLI's handler is armed a signal has its default action:
 * the process ends at once, which is right while nothing has been written and no worker runs.
 * The handler (remove temporary files, stop workers, exit 130/143) is armed at the first turn of
 * the event loop, or earlier when a temporary file is created.
 *
 * Why not at start-up: a signal caught by a handler waits for a turn of the event loop, and a
 * blocking read of a FIFO with no writer (`tlbsim replay pipe`, `tlbsim run in.yaml`) never gives
 * one. Inputs are read in the command's synchronous start, before that first turn, so no signal
 * can be caught and then held while the read blocks.
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

let listener: ((signal: NodeJS.Signals) => void) | undefined;
let armed = false;
/** withDefaultSignals calls in progress: arming waits until the last one ends */
let held = 0;

function install(): void {
  if (!listener || held > 0) return;
  for (const s of SIGNALS) if (!process.listeners(s).includes(listener)) process.on(s, listener);
}

/** The CLI's handler (cli.ts); armed at the next turn of the event loop. */
export function setInterruptHandler(onSignal: (signal: NodeJS.Signals) => void): void {
  listener = onSignal;
  setImmediate(armInterrupts);
}

/** Arm the handler now (a temporary file exists: an interrupt must remove it). */
export function armInterrupts(): void {
  armed = true;
  install();
}

/** Take the handler away and forget it (an embedding, or a test, that owns the process's signals). */
export function clearInterruptHandler(): void {
  if (listener) for (const s of SIGNALS) process.removeListener(s, listener);
  listener = undefined;
  armed = false;
}

/** Whether the handler is armed and in place (for tests). */
export function interruptsArmed(): boolean {
  return armed && listener !== undefined && process.listeners('SIGINT').includes(listener);
}

function release(saved: ReadonlyArray<readonly [NodeJS.Signals, NodeJS.SignalsListener[]]>): void {
  held--;
  for (const [s, ls] of saved) for (const l of ls) process.on(s, l);
  if (armed) install();
}

function hold(): Array<readonly [NodeJS.Signals, NodeJS.SignalsListener[]]> {
  const saved = SIGNALS.map((s) => [s, process.listeners(s) as NodeJS.SignalsListener[]] as const);
  for (const s of SIGNALS) process.removeAllListeners(s);
  held++;
  return saved;
}

/**
 * Run a long synchronous step (parsing, reading a FIFO, simulating) with the default signal
 * actions: a JavaScript handler cannot run while the thread is busy or blocked, so Ctrl-C and
 * SIGTERM end the process at once instead (nothing has been written yet: outputs are written,
 * atomically, only after the runs).
 */
export function withDefaultSignals<T>(fn: () => T): T {
  const saved = hold();
  try {
    return fn();
  } finally {
    release(saved);
  }
}

/**
 * The same for an asynchronous step (the sweep's worker pool): with hundreds of workers busy the
 * main thread may not get to a handler for a second, and exiting has to stop every worker; the
 * default action ends the whole process at once.
 */
export async function withDefaultSignalsAsync<T>(fn: () => Promise<T>): Promise<T> {
  const saved = hold();
  try {
    return await fn();
  } finally {
    release(saved);
  }
}
