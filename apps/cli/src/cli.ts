/**
 * tlbsim: the command line of the tlbsim simulator.
 * Exit status (see EXIT_HELP): 0 ok, 1 findings (`check`), 2 bad input, 70 a bug of ours, 130/143
 * interrupted by SIGINT/SIGTERM.
 */
import { setInterruptHandler } from './interrupts.js';
import { removeTemps } from './io.js';
import { fail, main } from './main.js';
import { terminateWorkers } from './pool.js';

// armed once the command's synchronous start (where inputs are read) is over: interrupts.ts says why
setInterruptHandler((signal) => {
  terminateWorkers();
  removeTemps();
  process.stderr.write('\ntlbsim: interrupted\n');
  process.exit(signal === 'SIGINT' ? 130 : 143);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = fail(e);
  },
);
