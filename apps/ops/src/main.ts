import { processCliIo } from './cli-io.js';
import { runOps } from './ops-program.js';

// The composition root of `npm run ops`: the only place that reads process.env and sets the exit code.
process.exitCode = await runOps(process.argv.slice(2), processCliIo(process));
