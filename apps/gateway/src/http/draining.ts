import type { RequestHandler } from 'express';

/**
 * Once stop() has begun, new requests get 503 and `Connection: close` while in-flight ones
 * finish: WeChat retries a 503, and a load balancer moves on (fastify lib/route.js does the same).
 */
export function createDrainingGuard(isDraining: () => boolean): RequestHandler {
  return function drainingGuard(_req, res, next) {
    if (!isDraining()) {
      next();
      return;
    }
    res.setHeader('Connection', 'close');
    res.status(503).type('text/plain').send('draining');
  };
}
