// Baseline 1: the fastest possible answer, node:http reading the body and saying "success".
import { createServer } from 'node:http';
import { listenOnFreePort } from './report-port.js';

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('success');
  });
});
listenOnFreePort(server);
