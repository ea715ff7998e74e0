import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';

/** The pid a Redis server reports for itself (`INFO server`), so a test can look at its process. */
export async function redisServerPid(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = /^process_id:(\d+)/m.exec(info)?.[1];
    if (pid === undefined) throw new Error(`no process_id in INFO server from ${url}`);
    return Number(pid);
  } finally {
    client.disconnect();
  }
}

/** The process group of `pid`, from /proc (Linux only: check {@link canReadProcessGroups}). */
export async function processGroupOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[2]);
}

export const canReadProcessGroups = process.platform === 'linux';
