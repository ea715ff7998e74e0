export { CUSTOM_MSG_TYPES, type CustomMessage, type CustomMsgType, type TypingCommand } from './api/custom-message.js';
export { ERRCODES } from './api/errcodes.js';
export type { Fault, SimulatorRequest } from './api/faults.js';
export { MEDIA_TYPES, type MediaInput, type MediaType } from './api/media-store.js';
export type { SentMessage } from './api/families/customer-service.js';
export type { TemplateSend } from './api/families/templates.js';
export type { ConsentChoice, SubscribeSend } from './api/families/subscribe.js';
export type { DeliveryReport, ReportState, ReportSubject } from './api/delivery-reports.js';
export type { MiniProgramLink, NotificationData } from './api/notification-body.js';
export {
  type ConsentChange,
  type Grant,
  type Interaction,
  type InteractionOutcome,
  type InteractionRecorder,
  type RecordedInteraction,
  type SendWindow,
  type SubscribeConsent,
  type WindowKind,
} from './api/interactions.js';
export { type ManualClock, createManualClock } from './clock.js';
export {
  DEMO_TEMPLATES,
  type SimulatorAccount,
  type SimulatorCallback,
  type SimulatorTemplate,
  type TemplateKind,
} from './api/accounts.js';
export type { SimulatorCall } from './api/server.js';
export { type WechatApiSimulator, type WechatApiSimulatorOptions, startWechatApiSimulator } from './api/simulator.js';
export type { TokenEndpoint, TokenMintCounts } from './api/token-registry.js';
export {
  type BuildPushOptions,
  type Handshake,
  type HandshakeOptions,
  type Push,
  type PushAccountConfig,
  type PushBodyLayout,
  type PushQueryOptions,
  buildHandshake,
  buildPush,
  signPushQuery,
} from './push/build-push.js';
export {
  DEFAULT_TO_USER_NAME,
  type MediaMessageOptions,
  type MessageOptions,
  type SubscribeChoice,
  type SubscribePopupChoice,
  type SubscribeSentItem,
  type TemplateReportStatus,
  type UserMessageOptions,
  createMessage,
} from './push/messages.js';
export {
  type PushResponse,
  type SendOptions,
  type SendPushOptions,
  sendHandshake,
  sendPush,
} from './push/send-push.js';
export { InteractionRefusedError, createInteractionClient } from './push/interaction-client.js';
export { randomInt64Above2To53 as randomMsgId, randomOpenId } from './random-ids.js';
export { type CliIo, MESSAGE_TYPES, createSimCli } from './cli/sim-cli.js';
export {
  type SandboxState,
  readSandboxState,
  removeSandboxState,
  stateFilePath,
  writeSandboxState,
} from './cli/sandbox-state.js';
