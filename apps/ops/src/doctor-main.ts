import { isProcessRunning, processCliIo } from './cli-io.js';
import { runDoctor } from './doctor/run-doctor.js';
import { withSandbox } from './sandbox-env.js';

// The composition root of `npm run doctor`: the only place that reads process.env and sets the exit code.
// Without an account in the environment, the sandbox `npm start` runs here (its account and Redis).
const io = await withSandbox(processCliIo(process), { cwd: process.cwd(), isRunning: isProcessRunning });
process.exitCode = await runDoctor(process.argv.slice(2), io);
