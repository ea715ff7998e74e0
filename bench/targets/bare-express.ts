// Baseline 2: a default Express 5 route with a text body parser, answering "success". The parser
// accepts any content type so it reads the text/xml body the way the gateway must.
import { createServer } from 'node:http';
import express from 'express';
import { listenOnFreePort } from './report-port.js';

const app = express();
app.post('/wechat', express.text({ type: () => true }), (_req, res) => {
  res.send('success');
});
listenOnFreePort(createServer(app));
