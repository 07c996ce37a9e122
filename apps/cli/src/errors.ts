import { didYouMean } from '@tlbsim/core';

/** Bad input from the user: a one-line message, exit status 2, never a stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `unknown workload "munmpa" (did you mean "munmap"?); valid workloads: a, b, c` */
export function unknownChoice(kind: string, given: string, valid: readonly string[], plural = `${kind}s`): UsageError {
  return new UsageError(`unknown ${kind} "${given}"${didYouMean(given, valid)}; valid ${plural}: ${valid.join(', ')}`);
}
