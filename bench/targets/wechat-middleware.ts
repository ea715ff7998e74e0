// Baseline 3: the npm `wechat` middleware (node-webot) on Express 5, the usual Node way to take
// pushes: it checks the signature and parses the XML (xml2js), and the handler answers '' (its
// API's "no passive reply", which WeChat takes like `success`). Nothing is queued.
import { createServer } from 'node:http';
import express from 'express';
import wechat from 'wechat';
import { BENCH_ACCOUNT } from '../push-fixture.js';
import { listenOnFreePort } from './report-port.js';

const app = express();
app.use(
  '/wechat',
  wechat(BENCH_ACCOUNT.token, (_req, res) => {
    res.reply('');
  }),
);
listenOnFreePort(createServer(app));
