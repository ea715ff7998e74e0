import type {
  EventMessage,
  InboundMessage,
  KnownEvent,
  KnownMsgType,
  TextMessage,
  UnknownPush,
  UserMessage,
} from '@wxq/wechat';
import { isKnownMessage } from '@wxq/wechat';
import { type Middleware, compose } from './compose.js';
import type { HandlerContext } from './context.js';

export type Handler<M extends InboundMessage = InboundMessage> = (
  message: M,
  ctx: HandlerContext<M>,
) => Promise<void> | void;

type MessageOf<T extends KnownMsgType> = Extract<UserMessage, { MsgType: T }>;
type EventOf<E extends KnownEvent> = Extract<EventMessage, { Event: E }>;

/** Routes are tried in the order they were declared; the first that matches handles the message. */
export interface Router {
  /** Middleware around every route (logging, rate limits, ...), in declaration order. */
  use(middleware: Middleware): Router;
  /** A text message whose Content equals `match` (trimmed) or matches the RegExp. */
  text(match: string | RegExp, handler: Handler<TextMessage>): Router;
  /** Any message of a MsgType. */
  message<T extends KnownMsgType>(type: T, handler: Handler<MessageOf<T>>): Router;
  /** An event, optionally only with an EventKey equal to or matching `eventKey`. */
  event<E extends KnownEvent>(event: E, handler: Handler<EventOf<E>>): Router;
  event<E extends KnownEvent>(event: E, eventKey: string | RegExp, handler: Handler<EventOf<E>>): Router;
  /** A MsgType or Event this version of wxq does not know yet. */
  unknown(handler: Handler<UnknownPush>): Router;
  /** Whatever nothing else matched. */
  fallback(handler: Handler): Router;
}

export interface Handlers {
  /** Runs middleware and the matching route; the replies end up in `ctx.replies`. */
  handle(ctx: HandlerContext): Promise<void>;
  /** The route a message takes, as declared (`text /^hi/i`, `event subscribe`, `fallback`): for logs. */
  routeOf(message: InboundMessage): string;
}

interface Route {
  readonly name: string;
  matches(message: InboundMessage): boolean;
  run: Handler<never>;
}

/**
 * Declares an account's handlers, for example:
 * `defineHandlers((r) => r.text(/^hi/i, (msg, ctx) => ctx.reply.text('hello')).event('subscribe', ...))`.
 */
export function defineHandlers(build: (router: Router) => unknown): Handlers {
  const middleware: Middleware[] = [];
  const routes: Route[] = [];
  let fallback: Handler | undefined;
  const add = (name: string, matches: Route['matches'], run: Handler<never>) => {
    routes.push({ name, matches, run });
  };
  const router: Router = {
    use(m) {
      middleware.push(m);
      return router;
    },
    text(match, handler) {
      add(
        `text ${String(match)}`,
        (m) => isKnownMessage(m) && m.MsgType === 'text' && matchText(match, m.Content),
        handler,
      );
      return router;
    },
    message(type, handler) {
      add(`message ${type}`, (m) => isKnownMessage(m) && m.MsgType === type, handler);
      return router;
    },
    event(event: KnownEvent, keyOrHandler: string | RegExp | Handler<never>, maybeHandler?: Handler<never>) {
      const key = typeof keyOrHandler === 'function' ? undefined : keyOrHandler;
      const handler = typeof keyOrHandler === 'function' ? keyOrHandler : maybeHandler;
      if (handler === undefined) throw new TypeError(`event('${event}', key, handler) needs a handler`);
      add(
        key === undefined ? `event ${event}` : `event ${event} ${String(key)}`,
        (m) =>
          isKnownMessage(m) &&
          m.MsgType === 'event' &&
          m.Event === event &&
          (key === undefined || matchText(key, eventKeyOf(m))),
        handler,
      );
      return router;
    },
    unknown(handler) {
      add('unknown', (m) => !isKnownMessage(m), handler);
      return router;
    },
    fallback(handler) {
      fallback = handler;
      return router;
    },
  };
  build(router);

  const route = async (ctx: HandlerContext) => {
    const chosen = routes.find((r) => r.matches(ctx.message));
    const run = (chosen?.run ?? fallback) as Handler | undefined;
    if (run === undefined) {
      ctx.log.debug('no handler matched');
      return;
    }
    await run(ctx.message, ctx);
  };
  const routeOf = (message: InboundMessage) =>
    routes.find((r) => r.matches(message))?.name ?? (fallback === undefined ? 'none' : 'fallback');
  return { handle: compose(middleware, route), routeOf };
}

function matchText(match: string | RegExp, text: string): boolean {
  return typeof match === 'string' ? text.trim() === match : match.test(text);
}

function eventKeyOf(message: EventMessage): string {
  return 'EventKey' in message && typeof message.EventKey === 'string' ? message.EventKey : '';
}

/** Whether a module export is the result of defineHandlers (what a WXQ_HANDLERS module must export). */
export function isHandlers(value: unknown): value is Handlers {
  if (typeof value !== 'object' || value === null) return false;
  const { handle, routeOf } = value as { handle?: unknown; routeOf?: unknown };
  return typeof handle === 'function' && typeof routeOf === 'function';
}
