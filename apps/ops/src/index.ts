export type { CliIo } from './cli-io.js';
export type { StatusReport } from './commands/status.js';
export type { RetryReport } from './commands/retry.js';
export type { FailedJobRow } from './failed-jobs.js';
export { runOps } from './ops-program.js';
export { runDoctor } from './doctor/run-doctor.js';
