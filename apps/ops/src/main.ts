import { runOps } from './ops-program.js';

// A reader that stops early (`| head`) closes the pipe: that ends the command, quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// The composition root of `npm run ops`: the only place that reads process.env and sets the exit code.
process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stdinIsTTY: process.stdin.isTTY,
  stderrIsTTY: process.stderr.isTTY,
});
