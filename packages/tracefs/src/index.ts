/**
 * @tlbsim/tracefs: record the Linux kernel's tracepoints through tracefs. A preflight that
 * refuses in one line, a session that restores every setting it changed, and a parser of the
 * ftrace text format into typed events.
 */
export * from './parse.js';
export * from './preflight.js';
export * from './session.js';
export * from './recorder.js';
