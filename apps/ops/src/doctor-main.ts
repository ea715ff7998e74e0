import { runDoctor } from './doctor/run-doctor.js';

// The composition root of `npm run doctor`: the only place that reads process.env and sets the exit code.
process.exitCode = await runDoctor(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stdinIsTTY: process.stdin.isTTY,
  stderrIsTTY: process.stderr.isTTY,
});
