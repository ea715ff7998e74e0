// What the end-to-end suites share: `npm` scripts run the way a user runs them, and plain
// TCP probes of what a stopped system should have let go of.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { REPO_ROOT } from '@wxq/testing';

export interface NpmRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run --silent <args>` in the repository root with exactly `env`, to completion. */
export function runNpm(args: readonly string[], env: NodeJS.ProcessEnv): Promise<NpmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `npm <args>` in its own process group, as a terminal runs it: Ctrl-C or a process
 * manager signals the whole group (npm runs the script through `sh -c`, which does not pass a
 * signal on). `output()` is stdout and stderr as they arrive.
 */
export function startNpm(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { readonly child: ChildProcess; readonly output: () => string } {
  const child = spawn('npm', [...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { child, output: () => output };
}

/** True when nothing accepts a TCP connection at `url`'s host and port any more. */
export function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

/** The pid of a process that has already exited (and been reaped), for stale lease files. */
export function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('true');
    child.once('error', reject);
    child.once('exit', () => {
      resolve(child.pid ?? 0);
    });
  });
}
