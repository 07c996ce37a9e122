/**
 * tlbsim: the command line of the tlbsim simulator.
 * Exit status (see EXIT_HELP): 0 ok, 1 findings (`check`), 2 bad input, 70 a bug of ours, 130/143
 * interrupted by SIGINT/SIGTERM.
 */
import { removeTemps } from './io.js';
import { fail, main } from './main.js';
import { terminateWorkers } from './pool.js';

const interrupted = (code: number) => () => {
  terminateWorkers();
  removeTemps();
  process.stderr.write('\ntlbsim: interrupted\n');
  process.exit(code);
};
process.on('SIGINT', interrupted(130));
process.on('SIGTERM', interrupted(143));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = fail(e);
  },
);
