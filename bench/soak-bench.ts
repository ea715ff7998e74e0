import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { findFreePort } from '@wxq/redis-server';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import {
  BENCH_APP_SECRET,
  GATEWAY_NODE_FLAGS,
  WORKER_NODE_FLAGS,
  gatewayEnv,
  settle,
  start,
  until,
  workerEnv,
} from './memory-bench.js';
import { BENCH_ACCOUNT, PUSH_PATH, nextPushBody } from './push-fixture.js';
import { stopChild } from './run-target.js';

export interface SoakOptions {
  readonly redisUrl: string;
  readonly pushes: number;
  /** Both processes are sampled after every this many pushes. */
  readonly sampleEvery: number;
  /** Pushes in flight at the gateway at once. */
  readonly connections: number;
  /** Pushes answered but not yet replied at the simulator, at most: the sender waits above it. */
  readonly maxBacklog: number;
  /** Told of each sample as it is taken (a long soak shows its progress). */
  readonly onSample?: (sample: SoakSample) => void;
  /** Where the gateway and the worker run, both (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

/** `process.memoryUsage()` right after a full GC, in MB. */
export interface MemorySample {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly arrayBuffersMb: number;
}

export interface SoakSample {
  readonly pushes: number;
  /** Pushes per second (push answered and replied) since the previous sample. */
  readonly rate: number;
  readonly gateway: MemorySample;
  readonly worker: MemorySample;
}

export interface SoakResult {
  readonly samples: readonly SoakSample[];
  /** Pushes the gateway answered 200 `success`. */
  readonly answeredSuccess: number;
  /** Pushes answered otherwise, or not at all (a transport error). */
  readonly failed: number;
  /** Customer-service sends the simulator accepted: one per push, from the demo handlers' echo. */
  readonly replied: number;
}

// Bench-only, loaded with `--import` into the two targets (never by production code): on the
// message 'memory' it runs a full GC (`--expose-gc`) and answers with process.memoryUsage(), so
// "heap after GC" is read inside the process without a loader or an admin listener in it. The
// channel does not keep the process alive; the targets still exit on SIGTERM as deployed.
const PROBE = `data:text/javascript,${encodeURIComponent(
  "process.on('message', (m) => { if (m !== 'memory') return; globalThis.gc(); process.send({ memory: process.memoryUsage() }); }); process.channel?.unref();",
)}`;

/**
 * One gateway and one worker process (the built `dist/` entry points) take `pushes` signed pushes
 * at the rate they sustain (bounded in-flight pushes and a bounded backlog), replying into the
 * simulator. After every `sampleEvery` pushes the sender pauses until the backlog is replied,
 * then each process is sampled after a full GC: what is left is what the processes keep.
 */
export async function runSoakBench(options: SoakOptions): Promise<SoakResult> {
  const sim = await startWechatApiSimulator({
    accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: BENCH_APP_SECRET }],
  });
  const prefix = `{soak-${randomUUID().slice(0, 8)}}`;
  const port = await findFreePort();
  // Each with the V8 flags it is deployed with.
  const targetArgs = (main: string, flags: readonly string[] = []) => [
    ...flags,
    '--expose-gc',
    '--import',
    PROBE,
    main,
  ];
  const stdio = ['ignore', 'ignore', 'inherit', 'ipc'] as const;
  const gateway = start(
    targetArgs('apps/gateway/dist/main.js', GATEWAY_NODE_FLAGS),
    { ...gatewayEnv(options.redisUrl, prefix), PORT: String(port), HOST: '127.0.0.1' },
    options.targetCore,
    stdio,
  );
  const worker = start(
    targetArgs('apps/worker/dist/main.js', WORKER_NODE_FLAGS),
    await workerEnv(options.redisUrl, prefix, sim.url),
    options.targetCore,
    stdio,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let replies: ReturnType<typeof countReplies> | undefined;
  try {
    await until(
      async () => (await fetch(`http://127.0.0.1:${String(port)}/healthz`).catch(() => undefined)) !== undefined,
    );
    await settle();
    replies = countReplies(sim);
    const sender = createSender({ port, agent, replied: replies.count, maxBacklog: options.maxBacklog });
    const samples: SoakSample[] = [];
    let started = performance.now();
    for (let sent = 0; sent < options.pushes;) {
      const upTo = Math.min(options.pushes, sent + options.sampleEvery);
      await sender.send(upTo - sent, options.connections);
      sent = upTo;
      await waitForReplies(replies.count, sender.answered(), 120_000);
      const seconds = (performance.now() - started) / 1000;
      const [g, w] = await Promise.all([memoryAfterGc(gateway), memoryAfterGc(worker)]);
      const sample = {
        pushes: sent,
        rate: Math.round((upTo - (samples.at(-1)?.pushes ?? 0)) / seconds),
        gateway: g,
        worker: w,
      };
      samples.push(sample);
      options.onSample?.(sample);
      started = performance.now();
    }
    return {
      samples,
      answeredSuccess: sender.answered(),
      failed: sender.failed(),
      replied: sim.sends.length,
    };
  } finally {
    replies?.stop();
    agent.destroy();
    await Promise.all([stopChild(gateway), stopChild(worker)]);
    await sim.stop();
  }
}

interface Sender {
  /** Sends `count` pushes over `connections` keep-alive connections; resolves when all are answered. */
  send(count: number, connections: number): Promise<void>;
  answered(): number;
  failed(): number;
}

function createSender(options: {
  readonly port: number;
  readonly agent: Agent;
  readonly replied: () => number;
  readonly maxBacklog: number;
}): Sender {
  let answered = 0;
  let failed = 0;
  async function one(): Promise<void> {
    while (answered - options.replied() > options.maxBacklog) await tick();
    const ok = await push(options.port, options.agent, nextPushBody());
    if (ok) answered += 1;
    else failed += 1;
  }
  return {
    async send(count, connections) {
      let left = count;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (left > 0) {
            left -= 1;
            await one();
          }
        }),
      );
    },
    answered: () => answered,
    failed: () => failed,
  };
}

/**
 * The simulator's send count, read every 50 ms: `sim.sends` copies the whole list, and the
 * senders check the backlog before every push.
 */
function countReplies(sim: WechatApiSimulator): { readonly count: () => number; stop(): void } {
  let count = 0;
  const timer = setInterval(() => {
    count = sim.sends.length;
  }, 50);
  return {
    count: () => count,
    stop: () => {
      clearInterval(timer);
    },
  };
}

/** POSTs one push; true when the gateway answered 200 `success`. */
function push(port: number, agent: Agent, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: PUSH_PATH, method: 'POST', agent, headers: { 'content-type': 'text/xml' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve(res.statusCode === 200 && text === 'success');
        });
        res.on('error', () => {
          resolve(false);
        });
      },
    );
    req.on('error', () => {
      resolve(false);
    });
    req.end(body);
  });
}

async function waitForReplies(replies: () => number, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (replies() < count) {
    if (performance.now() > deadline)
      throw new Error(`waited ${String(timeoutMs)} ms for ${String(count)} replies, saw ${String(replies())}`);
    await tick();
  }
}

/** The simulator runs on this event loop: a short timer lets it answer between checks. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

function memoryAfterGc(child: ChildProcess): Promise<MemorySample> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`process ${String(child.pid)} did not report its memory within 30 s`));
    }, 30_000);
    child.once('message', (message: { memory: NodeJS.MemoryUsage }) => {
      clearTimeout(timer);
      const mb = (bytes: number) => Math.round(bytes / 104_857.6) / 10;
      const { rss, heapUsed, external, arrayBuffers } = message.memory;
      resolve({ rssMb: mb(rss), heapUsedMb: mb(heapUsed), externalMb: mb(external), arrayBuffersMb: mb(arrayBuffers) });
    });
    child.send('memory');
  });
}
