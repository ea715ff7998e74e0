import getPort from 'get-port';

/**
 * A TCP port that was free on `host` a moment ago (the OS picks it for a listener on port 0).
 * Another process may still take it before the caller binds it; within this process, get-port
 * does not hand out the same port twice for a while, so two servers started together (a
 * cluster's node and bus ports) do not collide.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return getPort({ host });
}
