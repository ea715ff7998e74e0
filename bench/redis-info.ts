// Redis's own accounting, read from INFO: what a stretch of work cost Redis is the difference of
// two readings. Pure: the bench takes the readings.

/** One INFO reading: every `field:value` line, and the calls of each command (INFO commandstats). */
export interface RedisInfo {
  readonly fields: Readonly<Record<string, string>>;
  /** Calls per command, lower case as Redis names them (`evalsha`, `client|setname`). */
  readonly calls: Readonly<Record<string, number>>;
}

/** Parses the text of `INFO everything` (or any sections of it). */
export function parseRedisInfo(text: string): RedisInfo {
  const fields: Record<string, string> = {};
  const calls: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    // cmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33,rejected_calls=0,failed_calls=0
    if (key.startsWith('cmdstat_')) {
      const count = /(?:^|,)calls=(\d+)/.exec(value)?.[1];
      if (count !== undefined) calls[key.slice('cmdstat_'.length)] = Number(count);
    } else fields[key] = value;
  }
  return { fields, calls };
}

/** What Redis did between two readings. */
export interface RedisDelta {
  /** Process CPU, user + system, every thread (`used_cpu_user` + `used_cpu_sys`). */
  readonly cpuMs: number;
  /** The main thread alone, which executes every command (undefined before Redis 6.2). */
  readonly mainThreadCpuMs: number | undefined;
  /** `total_commands_processed`. */
  readonly commandsProcessed: number;
  /** Calls per command (commandstats), commands without a call left out. */
  readonly calls: Readonly<Record<string, number>>;
  readonly netInputBytes: number;
  readonly netOutputBytes: number;
  readonly usedMemoryBytes: number;
}

/**
 * `after` minus `before`. `ignore` names commands the reader itself issued (its INFO): they are
 * left out of `calls`, and their calls are taken off `commandsProcessed`.
 */
export function redisDelta(before: RedisInfo, after: RedisInfo, ignore: readonly string[] = ['info']): RedisDelta {
  const field = (info: RedisInfo, name: string) => {
    const value = Number(info.fields[name]);
    if (Number.isNaN(value)) throw new Error(`INFO has no numeric ${name}`);
    return value;
  };
  const change = (name: string) => field(after, name) - field(before, name);
  const hasMainThread = after.fields['used_cpu_user_main_thread'] !== undefined;
  const calls: Record<string, number> = {};
  let ignored = 0;
  for (const [command, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[command] ?? 0);
    if (delta === 0) continue;
    if (ignore.includes(command)) ignored += delta;
    else calls[command] = delta;
  }
  return {
    cpuMs: (change('used_cpu_user') + change('used_cpu_sys')) * 1000,
    mainThreadCpuMs: hasMainThread
      ? (change('used_cpu_user_main_thread') + change('used_cpu_sys_main_thread')) * 1000
      : undefined,
    commandsProcessed: change('total_commands_processed') - ignored,
    calls,
    netInputBytes: change('total_net_input_bytes'),
    netOutputBytes: change('total_net_output_bytes'),
    usedMemoryBytes: change('used_memory'),
  };
}
