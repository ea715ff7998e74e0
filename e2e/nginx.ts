import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request as requestHttp } from 'node:http';
import { request as requestHttps } from 'node:https';
import { join } from 'node:path';
import { REPO_ROOT, type TestCertificate, createTestCertificate, findFreePort, waitFor } from '@wxq/testing';

// A real nginx running deploy/nginx.conf, for suites that test what crosses the reverse proxy.
// Only what cannot work outside Docker changes: the upstream servers, the listeners, the
// certificate (a throwaway one), the log and temp paths, Docker's DNS resolver; and, when a suite
// asks, the admin allow-list. Each change must find its line, so the file and the tests cannot
// drift apart unnoticed.

/** The nginx binary, or undefined when it is not installed (`.ci/run` installs Debian's). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

export interface RunningNginx {
  /** The port 80 server. */
  readonly url: string;
  /** The port 443 server, with {@link RunningNginx.certificate}. */
  readonly httpsUrl: string;
  /** What the 443 server presents: a client trusts its `ca`. */
  readonly certificate: TestCertificate;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Replaces the `allow` lines of the admin location (deny all stays): who may reach Bull Board. */
  readonly adminAllow?: readonly string[];
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
 * gateways' public and admin listeners) and listening on `ports.http`, including deploy/nginx-https.conf
 * (written to `dir`/https/) listening on `ports.https` with `certificate`.
 */
async function nginxConfigFor(
  dir: string,
  ports: { readonly http: number; readonly https: number },
  certificate: TestCertificate,
  upstreams: readonly string[],
  adminUpstreams: readonly string[],
  options: NginxOptions,
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
  config = replaceOnce(config, 'listen 80 default_server;', `listen 127.0.0.1:${ports.http} default_server;`);
  config = replaceOnce(config, 'include /etc/nginx/wxq-https/*.conf;', `include ${dir}/https/*.conf;`);

  let https = await readFile(join(REPO_ROOT, 'deploy/nginx-https.conf'), 'utf8');
  https = replaceOnce(https, 'listen 443 ssl default_server;', `listen 127.0.0.1:${ports.https} ssl default_server;`);
  https = replaceOnce(https, '/etc/nginx/certs/fullchain.pem;', `${certificate.certFile};`);
  https = replaceOnce(https, '/etc/nginx/certs/privkey.pem;', `${certificate.keyFile};`);
  if (options.adminAllow !== undefined) {
    const allow = options.adminAllow.map((range) => `allow ${range};`).join('\n        ');
    https = replaceOnce(https, /allow 127\.0\.0\.0\/8;(\s*allow [^;]+;)*/, allow);
  }
  await mkdir(join(dir, 'https'), { recursive: true });
  await writeFile(join(dir, 'https/https.conf'), https);
  return config;
}

/**
 * Starts nginx in the foreground with deploy/nginx.conf adapted by {@link nginxConfigFor}: port 80
 * on `port`, port 443 on a free port with a throwaway certificate made in `dir`.
 */
export async function startNginx(
  binary: string,
  dir: string,
  port: number,
  upstreams: readonly string[],
  adminUpstreams: readonly string[] = [NO_ADMIN],
  options: NginxOptions = {},
): Promise<RunningNginx> {
  await mkdir(dir, { recursive: true });
  const certificate = await createTestCertificate(dir);
  const ports = { http: port, https: await findFreePort() };
  const configFile = join(dir, 'nginx.conf');
  await writeFile(configFile, await nginxConfigFor(dir, ports, certificate, upstreams, adminUpstreams, options));
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
    httpsUrl: `https://127.0.0.1:${ports.https}`,
    certificate,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One request with `path` sent exactly as written (fetch would resolve dot segments itself), over
 * HTTPS when `url` says so, trusting `ca`.
 */
export function rawRequest(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string } = {},
): Promise<RawAnswer> {
  const { protocol, hostname, port } = new URL(url);
  const send = protocol === 'https:' ? requestHttps : requestHttp;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: hostname,
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}
