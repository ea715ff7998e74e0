import { isProcessRunning, processCliIo } from './cli-io.js';
import { runOps } from './ops-program.js';
import { withSandbox } from './sandbox-env.js';

// The composition root of `npm run ops`: the only place that reads process.env and sets the exit code.
// Without an account in the environment, the sandbox `npm start` runs here (its account and Redis).
const io = await withSandbox(processCliIo(process), { cwd: process.cwd(), isRunning: isProcessRunning });
process.exitCode = await runOps(process.argv.slice(2), io);
