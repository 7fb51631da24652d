import { NOTICE_TYPES, type Notice } from "#kit/outbox/notice.js";
import type { NotificationEvent } from "#kit/ports/notifier.port.js";
import type { ApiKey, LoginEvent } from "./account.js";

// The security notices a user hears about, stored by the user store in the same transaction as the record they tell
// of. `id` is chosen once when the record is written, so a re-published notice keeps it.

const event = (id: string, type: string, notice: Notice): NotificationEvent => ({ id: `auth:${id}`, type, payload: notice });

export function apiKeyCreatedNotice(id: string, key: ApiKey): NotificationEvent {
  return event(id, NOTICE_TYPES.apiKeyCreated, {
    accountId: key.userId,
    time: key.createdAt,
    // The key's last characters only: enough to recognize it, useless to anyone reading the mail.
    data: { label: key.label, keyType: key.type, apiKeyEnd: key.apiKey.slice(-4), permissions: key.permissions.join(","), ipRestricted: key.ipAllowList.length > 0 },
  });
}

/** undefined for a failed attempt: those are in the login history, not in the user's inbox. */
export function signedInNotice(id: string, login: LoginEvent): NotificationEvent | undefined {
  if (!login.success) return undefined;
  return event(id, NOTICE_TYPES.signedIn, { accountId: login.userId, time: login.time, data: { clientIp: login.clientIp, userAgent: login.userAgent } });
}

export function passwordChangedNotice(id: string, userId: string, at: number): NotificationEvent {
  return event(id, NOTICE_TYPES.passwordChanged, { accountId: userId, time: at, data: {} });
}
