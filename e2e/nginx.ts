import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, waitFor } from '@wxq/testing';

// A real nginx running deploy/nginx.conf, for suites that test what crosses the reverse proxy.
// Only what cannot work outside Docker changes: the upstream servers, the listener, the log and
// temp paths, Docker's DNS resolver. Each change must find its line, so the file and the tests
// cannot drift apart unnoticed.

/** The nginx binary, or undefined when it is not installed (`.ci/run` installs Debian's). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

export interface RunningNginx {
  readonly url: string;
  stop(): Promise<void>;
}

function replaceOnce(config: string, from: string | RegExp, to: string): string {
  const next = config.replace(from, to);
  if (next === config) throw new Error(`deploy/nginx.conf no longer has ${String(from)}: update e2e/nginx.ts`);
  return next;
}

/** Where nothing listens: nginx answers 502 at /admin/ for suites that start no admin listener. */
const NO_ADMIN = '127.0.0.1:9';

/**
 * deploy/nginx.conf with its upstreams pointed at `upstreams` and `adminUpstreams` (host:port: the
 * gateways' public and admin listeners) and listening on `port`.
 */
async function nginxConfigFor(
  dir: string,
  port: number,
  upstreams: readonly string[],
  adminUpstreams: readonly string[] = [NO_ADMIN],
): Promise<string> {
  let config = await readFile(join(REPO_ROOT, 'deploy/nginx.conf'), 'utf8');
  config = replaceOnce(config, 'worker_processes auto;', `worker_processes 1;\npid ${dir}/nginx.pid;`);
  config = replaceOnce(config, 'error_log /dev/stderr warn;', `error_log ${dir}/error.log warn;`);
  config = replaceOnce(
    config,
    'access_log /dev/stdout wxq;',
    `access_log ${dir}/access.log wxq;\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n    fastcgi_temp_path ${dir}/fastcgi;\n    uwsgi_temp_path ${dir}/uwsgi;\n    scgi_temp_path ${dir}/scgi;`,
  );
  config = replaceOnce(config, /\n\s*resolver 127\.0\.0\.11[^\n]*\n\s*resolver_timeout[^\n]*/, '');
  config = replaceOnce(
    config,
    /server gateway:3000 resolve([^;]*);/,
    upstreams.map((u) => `server ${u}$1;`).join('\n        '),
  );
  config = replaceOnce(
    config,
    /server gateway:3001 resolve([^;]*);/,
    adminUpstreams.map((u) => `server ${u}$1;`).join('\n        '),
  );
  config = replaceOnce(config, 'listen 80 default_server;', `listen 127.0.0.1:${port} default_server;`);
  return config;
}

/** Starts nginx in the foreground with deploy/nginx.conf adapted by {@link nginxConfigFor}. */
export async function startNginx(
  binary: string,
  dir: string,
  port: number,
  upstreams: readonly string[],
  adminUpstreams?: readonly string[],
): Promise<RunningNginx> {
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, 'nginx.conf');
  await writeFile(configFile, await nginxConfigFor(dir, port, upstreams, adminUpstreams));
  const test = spawnSync(binary, ['-t', '-c', configFile, '-p', dir], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t refused the config:\n${test.stderr}`);
  const child = spawn(binary, ['-c', configFile, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return (await fetch(`${url}/nothing`).catch(() => undefined))?.status === 404;
    },
    { timeoutMs: 10_000, message: 'nginx to listen' },
  );
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
