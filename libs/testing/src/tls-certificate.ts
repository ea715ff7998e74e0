import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisTlsFiles } from '@wxq/redis-server';

/** A throwaway certificate: its own CA, so `caFile` is `certFile` and `ca` is what a client trusts. */
export type TestCertificate = RedisTlsFiles;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, valid one day, written into `dir` with
 * `openssl` (an EC key: quick to make). Rejects when openssl is missing or fails.
 */
export async function createTestCertificate(dir: string): Promise<TestCertificate> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, caFile: certFile, ca: await readFile(certFile, 'utf8') };
}
