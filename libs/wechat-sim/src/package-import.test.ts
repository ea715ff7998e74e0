import * as sim from '@wxq/wechat-sim';
import { describe, expect, it } from 'vitest';
import { startWechatApiSimulator } from './api/simulator.js';
import { buildPush } from './push/build-push.js';

// Consumers import the package by name; the "@wxq/source" condition must reach these sources.
describe('@wxq/wechat-sim by package name', () => {
  it('resolves to the source modules', () => {
    expect(sim.startWechatApiSimulator).toBe(startWechatApiSimulator);
    expect(sim.buildPush).toBe(buildPush);
  });

  it('exports the public surface', () => {
    expect(Object.keys(sim).sort()).toEqual(
      [
        'CUSTOM_MSG_TYPES',
        'DEFAULT_TO_USER_NAME',
        'DEMO_TEMPLATES',
        'MESSAGE_TYPES',
        'createSimCli',
        'createInteractionClient',
        'createManualClock',
        'InteractionRefusedError',
        'readSandboxState',
        'removeSandboxState',
        'stateFilePath',
        'writeSandboxState',
        'ERRCODES',
        'MEDIA_TYPES',
        'buildHandshake',
        'buildPush',
        'createMessage',
        'randomMsgId',
        'randomOpenId',
        'sendHandshake',
        'sendPush',
        'signPushQuery',
        'startWechatApiSimulator',
      ].sort(),
    );
  });
});
