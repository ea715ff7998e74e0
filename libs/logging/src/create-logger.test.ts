import { createLogSink } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { createLogger, unredacted } from './create-logger.js';

describe('createLogger', () => {
  it('never writes secrets, at the top level or nested', () => {
    const out = createLogSink();
    const log = createLogger({ level: 'info', name: 'test' }, out.stream);
    log.info(
      {
        appSecret: 's3cret',
        token: 'tok3n',
        account: { encodingAESKey: 'k3y', appId: 'wx1' },
        query: { access_token: 'acc3ss' },
      },
      'hello',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['s3cret', 'tok3n', 'k3y', 'acc3ss']) expect(text).not.toContain(secret);
    expect(out.lines()[0]).toMatchObject({
      msg: 'hello',
      name: 'test',
      account: { appId: 'wx1', encodingAESKey: '[redacted]' },
    });
  });

  it('unredacted: a child for whitelisted lines writes its fields as they are, and keeps the level', () => {
    const out = createLogSink();
    const log = unredacted(createLogger({ level: 'info', name: 'test' }, out.stream));
    log.debug('quiet');
    log.info({ req: { id: 'r1', path: '/wechat' }, account: 'wx1' }, 'push answered');
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatchObject({ msg: 'push answered', name: 'test', req: { id: 'r1' }, account: 'wx1' });
  });

  it('honours the level', () => {
    const out = createLogSink();
    const log = createLogger({ level: 'warn', name: 'test' }, out.stream);
    log.info('quiet');
    log.warn('loud');
    expect(out.lines().map((l) => l['msg'])).toEqual(['loud']);
  });
});
