import { CommanderError } from 'commander';
import { readSandboxState } from './sandbox-state.js';
import { createSimCli } from './sim-cli.js';

// `npm run sim -- …`: the entry point (reads the environment and exits; everything else is in sim-cli.ts).
const state = await readSandboxState(process.env['WXQ_STATE_DIR'] ?? '.wxq');
const cli = createSimCli(state, {
  out: (line) => {
    console.log(line);
  },
  err: (line) => {
    console.error(line);
  },
});
try {
  await cli.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
