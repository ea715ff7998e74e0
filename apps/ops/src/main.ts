import { runOps } from './ops-program.js';

// The composition root of `npm run ops`: the only place that reads process.env and sets the exit code.
process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stdinIsTTY: process.stdin.isTTY,
  stderrIsTTY: process.stderr.isTTY,
});
