import { NOTICE_TYPES, isNotice, type Notice } from "#kit/outbox/notice.js";
import type { NotificationKind } from "./preferences.js";

/** One notification as the notifier handles it: the event id deduplicates, the kind selects channels. */
export interface Notification {
  readonly id: string;
  readonly type: string;
  readonly kind: NotificationKind;
  readonly notice: Notice;
}

const KIND_OF_TYPE: Readonly<Record<string, NotificationKind>> = {
  [NOTICE_TYPES.tradeFilled]: "TRADE_FILL",
  [NOTICE_TYPES.orderUpdated]: "ORDER_STATE",
  [NOTICE_TYPES.deposit]: "DEPOSIT",
  [NOTICE_TYPES.withdrawal]: "WITHDRAWAL",
  [NOTICE_TYPES.apiKeyCreated]: "SECURITY",
  [NOTICE_TYPES.signedIn]: "SECURITY",
  [NOTICE_TYPES.passwordChanged]: "SECURITY",
};

/** undefined for an event this notifier does not know (a newer publisher): it is dropped, not retried. */
export function notificationOf(event: { readonly id: string; readonly type: string; readonly payload: unknown }): Notification | undefined {
  const kind = KIND_OF_TYPE[event.type];
  if (!kind || !isNotice(event.payload) || event.id === "") return undefined;
  return { id: event.id, type: event.type, kind, notice: event.payload };
}
