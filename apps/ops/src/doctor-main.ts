import { processCliIo } from './cli-io.js';
import { runDoctor } from './doctor/run-doctor.js';

// The composition root of `npm run doctor`: the only place that reads process.env and sets the exit code.
process.exitCode = await runDoctor(process.argv.slice(2), processCliIo(process));
