// The part of the npm `wechat` middleware (node-webot, no types of its own) that the bench's
// baseline target uses: wechat(token, handler) returns a connect middleware that verifies the
// signature and parses the push into req.weixin before calling the handler.
declare module 'wechat' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface WechatResponse extends ServerResponse {
    /** Answers 200: '' (or nothing) as an empty body, anything else as a passive reply's XML. */
    reply(content: string): void;
  }

  type Handler = (req: IncomingMessage & { weixin: Record<string, unknown> }, res: WechatResponse) => void;

  function wechat(
    token: string,
    handler: Handler,
  ): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

  export default wechat;
}
