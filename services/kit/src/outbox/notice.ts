/**
 * The user-facing notifications every service publishes to the notifier topic, as NotificationEvents whose payload is a
 * Notice. Amounts are decimal strings; ids are derived from what the notice is about, so a notice published twice
 * (a relay that crashed between publishing and recording it) has the same id and is delivered once.
 */

export const NOTICE_TYPES = {
  /** A fill of one of the account's orders. */
  tradeFilled: "exchange.order.filled.v1",
  /** An order's state changed (NEW, CANCELED, EXPIRED, REJECTED, REPLACED...). */
  orderUpdated: "exchange.order.updated.v1",
  /** A deposit seen on chain (PENDING) or credited (CREDITED). */
  deposit: "exchange.wallet.deposit.v1",
  /** A withdrawal requested, completed or rejected. */
  withdrawal: "exchange.wallet.withdrawal.v1",
  apiKeyCreated: "exchange.auth.api-key-created.v1",
  signedIn: "exchange.auth.signed-in.v1",
  passwordChanged: "exchange.auth.password-changed.v1",
} as const;

export type NoticeType = (typeof NOTICE_TYPES)[keyof typeof NOTICE_TYPES];

export interface Notice {
  readonly accountId: string;
  /** When it happened, ms since the epoch (the source's time, not the publisher's). */
  readonly time: number;
  /** Flat fields: strings (decimal strings for amounts), numbers for ids and times, booleans. */
  readonly data: Readonly<Record<string, string | number | boolean>>;
}

export function isNotice(value: unknown): value is Notice {
  const v = value as Notice | null;
  return typeof v === "object" && v !== null && typeof v.accountId === "string" && typeof v.time === "number" && typeof v.data === "object" && v.data !== null;
}
