// Baseline: BullMQ's own worker whose processor sends the push's echo through the
// customer-service API, one keep-alive POST per job, and does nothing else (no ordering, no
// ledger, no retry rules): the floor of any worker that answers a push with a sent reply.
import { fetchAccessToken, postOk } from './api-call.js';
import { runBaselineWorker } from './baseline-worker.js';

interface Push {
  readonly message: { readonly FromUserName: string; readonly Content?: string };
}

const sendPath = `/cgi-bin/message/custom/send?access_token=${await fetchAccessToken()}`;

runBaselineWorker('inbound', async (job) => {
  const { message } = job.data as Push;
  await postOk(sendPath, { touser: message.FromUserName, msgtype: 'text', text: { content: message.Content } });
});
