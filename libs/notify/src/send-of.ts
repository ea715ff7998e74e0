import type { NotificationSend } from '@wxq/queue';
import type { MessageRequest } from './request-schema.js';

/** The request in WeChat's field names, as the worker sends it. */
export function sendOf(request: Pick<MessageRequest, 'template' | 'subscribe'>): NotificationSend {
  if (request.template !== undefined) {
    const { id, data, url, miniprogram } = request.template;
    return {
      kind: 'template',
      template_id: id,
      data,
      ...(url === undefined ? {} : { url }),
      ...(miniprogram === undefined ? {} : { miniprogram }),
    };
  }
  if (request.subscribe !== undefined) {
    const { id, data, page, miniprogram } = request.subscribe;
    return {
      kind: 'subscribe',
      template_id: id,
      data,
      ...(page === undefined ? {} : { page }),
      ...(miniprogram === undefined ? {} : { miniprogram }),
    };
  }
  throw new TypeError('a message request holds a template or a subscribe notification');
}
