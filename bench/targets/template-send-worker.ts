// Baseline for the worker's template sends (docs/notifications.md): BullMQ's own worker whose
// processor POSTs one template message per job to `message/template/send`, with the job's
// client_msg_id, over a keep-alive agent, and does nothing else (no record, no campaign, no pause,
// rate or retry rules). The customer-service baseline (send-worker.ts) POSTs another endpoint
// with another body; this one makes the call wxq's notify processor makes, so the two compare.
import { fetchAccessToken, postOk } from './api-call.js';
import { runBaselineWorker } from './baseline-worker.js';

/** What the bench queues per send: the wire fields of the template message (§11.1). */
export interface TemplateJob {
  readonly touser: string;
  readonly template_id: string;
  readonly data: Readonly<Record<string, { readonly value: string }>>;
  readonly client_msg_id: string;
}

const sendPath = `/cgi-bin/message/template/send?access_token=${await fetchAccessToken()}`;

runBaselineWorker('template-send', async (job) => {
  await postOk(sendPath, job.data as TemplateJob);
});
