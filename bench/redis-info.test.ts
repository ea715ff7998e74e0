import { describe, expect, it } from 'vitest';
import { parseRedisInfo, redisDelta } from './redis-info.js';

const reading = (cpu: number, commands: number, evalsha: number, info: number, memory: number) =>
  [
    '# CPU',
    `used_cpu_sys:${String(cpu / 2)}`,
    `used_cpu_user:${String(cpu / 2)}`,
    `used_cpu_sys_main_thread:${String(cpu / 4)}`,
    `used_cpu_user_main_thread:${String(cpu / 4)}`,
    '',
    '# Stats',
    `total_commands_processed:${String(commands)}`,
    `total_net_input_bytes:${String(commands * 100)}`,
    `total_net_output_bytes:${String(commands * 10)}`,
    `used_memory:${String(memory)}`,
    '# Commandstats',
    `cmdstat_evalsha:calls=${String(evalsha)},usec=340,usec_per_call=28.33,rejected_calls=0,failed_calls=0`,
    `cmdstat_info:calls=${String(info)},usec=10,usec_per_call=5.00,rejected_calls=0,failed_calls=0`,
    'cmdstat_client|setname:calls=3,usec=1,usec_per_call=0.33,rejected_calls=0,failed_calls=0',
  ].join('\r\n');

describe('parseRedisInfo', () => {
  it('reads fields and the calls of each command, subcommands included', () => {
    const info = parseRedisInfo(reading(2, 40, 7, 1, 1000));
    expect(info.fields['total_commands_processed']).toBe('40');
    expect(info.calls).toEqual({ evalsha: 7, info: 1, 'client|setname': 3 });
  });
});

describe('redisDelta', () => {
  it('takes the reader’s own INFO calls off the command counts', () => {
    const delta = redisDelta(parseRedisInfo(reading(2, 40, 7, 1, 1000)), parseRedisInfo(reading(3, 52, 17, 2, 4000)));
    expect(delta.cpuMs).toBeCloseTo(1000);
    expect(delta.mainThreadCpuMs).toBeCloseTo(500);
    expect(delta.commandsProcessed).toBe(11);
    expect(delta.calls).toEqual({ evalsha: 10 });
    expect(delta.netInputBytes).toBe(1200);
    expect(delta.netOutputBytes).toBe(120);
    expect(delta.usedMemoryBytes).toBe(3000);
  });

  it('names a field INFO lacks', () => {
    expect(() => redisDelta(parseRedisInfo(''), parseRedisInfo(''))).toThrow(/used_cpu_user/);
  });
});
