/**
 * When the CLI's Ctrl-C/SIGTERM handler is in place (src/interrupts.ts): not during the command's
 * synchronous start, where inputs are read (a caught signal would wait for a turn of the event
 * loop that a blocked FIFO read never gives), and never inside a withDefaultSignals step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { armInterrupts, clearInterruptHandler, interruptsArmed, setInterruptHandler, withDefaultSignals, withDefaultSignalsAsync } from '../src/interrupts.js';

const turn = () => new Promise((r) => setImmediate(r));
const seen: NodeJS.Signals[] = [];
const onSignal = (s: NodeJS.Signals) => void seen.push(s);
const ours = (s: 'SIGINT' | 'SIGTERM') => process.listeners(s).includes(onSignal);

// this worker's other test files share the module: none may find the handler installed
afterEach(clearInterruptHandler);

describe('the interrupt handler', () => {
  it('is armed at the first turn of the event loop, not in the synchronous start', async () => {
    setInterruptHandler(onSignal);
    expect([ours('SIGINT'), ours('SIGTERM')]).toEqual([false, false]);
    await turn();
    expect([ours('SIGINT'), ours('SIGTERM'), interruptsArmed()]).toEqual([true, true, true]);
    process.emit('SIGTERM', 'SIGTERM');
    expect(seen).toEqual(['SIGTERM']);
    clearInterruptHandler();
    expect([ours('SIGINT'), ours('SIGTERM'), interruptsArmed()]).toEqual([false, false, false]);
  });
  it('is out of the way inside a withDefaultSignals step, and back after it', async () => {
    setInterruptHandler(onSignal);
    armInterrupts();
    const inside = withDefaultSignals(() => [ours('SIGINT'), ours('SIGTERM'), withDefaultSignals(() => ours('SIGINT')), ours('SIGINT')]);
    expect(inside).toEqual([false, false, false, false]);
    expect([ours('SIGINT'), ours('SIGTERM')]).toEqual([true, true]);
    const during = await withDefaultSignalsAsync(async () => {
      await turn();
      return ours('SIGINT');
    });
    expect([during, ours('SIGINT')]).toEqual([false, true]);
  });
  it('armed inside a step (a temporary file created there) is installed only when the step ends', () => {
    setInterruptHandler(onSignal);
    const inside = withDefaultSignals(() => {
      armInterrupts();
      return ours('SIGINT');
    });
    expect([inside, ours('SIGINT'), ours('SIGTERM')]).toEqual([false, true, true]);
    // installed once, however often it is armed
    armInterrupts();
    expect(process.listeners('SIGINT').filter((l) => l === onSignal)).toHaveLength(1);
  });
});
