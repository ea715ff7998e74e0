// Notification bodies (docs/wechat-protocol.md §11.1, §12.2), with WeChat's own field names: each is
// exactly the JSON that is posted. They live in the protocol library, as the customer-service
// bodies do, because the queue carries them and the API client posts them.

/** One keyword of a template: `{"thing1": {"value": "Order 42"}}`. */
export interface TemplateDataValue {
  /** Per keyword type: `thing` ≤ 20 characters, `number` ≤ 32 digits, … (47003 when broken). */
  readonly value: string;
  /** Ignored by WeChat since 2023 [O]; still accepted. */
  readonly color?: string;
}

export type TemplateData = Readonly<Record<string, TemplateDataValue>>;

/** A mini-program page opened from the notification (the mini-program must be linked to the account). */
export interface NotificationMiniprogram {
  readonly appid: string;
  readonly pagepath?: string;
}

/** A template message (`POST /cgi-bin/message/template/send`, docs/wechat-protocol.md §11.1). */
export interface TemplateMessage {
  readonly touser: string;
  readonly template_id: string;
  readonly data: TemplateData;
  /** Opened on tap; `miniprogram` wins where the client supports it. */
  readonly url?: string;
  readonly miniprogram?: NotificationMiniprogram;
  /**
   * ≤ 64 characters: WeChat delivers one message per openid and client_msg_id within 10 minutes,
   * so a retry with the same id is not a second message (docs/wechat-protocol.md §11.1).
   */
  readonly client_msg_id?: string;
}

/** A subscribe notification (`POST /cgi-bin/message/subscribe/bizsend`, docs/wechat-protocol.md §12.2). */
export interface SubscribeMessage {
  readonly touser: string;
  readonly template_id: string;
  readonly data: Readonly<Record<string, { readonly value: string }>>;
  /** A URL opened on tap. */
  readonly page?: string;
  readonly miniprogram?: NotificationMiniprogram;
}
