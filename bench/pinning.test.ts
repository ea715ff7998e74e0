import { describe, expect, it } from 'vitest';
import { choosePinning, parseCpuList } from './pinning.js';
import { onCore } from './run-target.js';

describe('pinning', () => {
  it('reads cpu lists as /proc and taskset print them', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0-2,5,7-8\n')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('3')).toEqual([3]);
    expect(() => parseCpuList('zero')).toThrow(/not a cpu list/);
  });

  it('puts targets on the first allowed core and the load on the second', () => {
    const pinning = choosePinning([2, 3, 4], true);
    expect(pinning).toMatchObject({ targetCore: 2, loadCore: 3 });
    expect(pinning.description).toContain('taskset -c 2');
    expect(pinning.description).toContain('Redis on core 3');
  });

  it('pins nothing on one core or without taskset, and says why', () => {
    expect(choosePinning([0], true)).toEqual({
      targetCore: undefined,
      loadCore: undefined,
      description: 'none: this process may run on 1 core only, pinning needs 2',
    });
    expect(choosePinning([0, 1], false)).toMatchObject({ targetCore: undefined, loadCore: undefined });
    expect(choosePinning([0, 1], false).description).toContain('taskset not found');
  });

  it('starts a command through taskset only when a core is given', () => {
    expect(onCore(0, '/usr/bin/python3', ['server.py'])).toEqual({
      command: 'taskset',
      args: ['-c', '0', '/usr/bin/python3', 'server.py'],
    });
    expect(onCore(undefined, 'node', ['a.js'])).toEqual({ command: 'node', args: ['a.js'] });
  });
});
