import type { Notification } from "./notification.js";

export interface Email {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

const SUBJECTS: Readonly<Record<string, string>> = {
  "exchange.order.filled.v1": "Order filled",
  "exchange.order.updated.v1": "Order update",
  "exchange.wallet.deposit.v1": "Deposit",
  "exchange.wallet.withdrawal.v1": "Withdrawal",
  "exchange.auth.api-key-created.v1": "New API key created",
  "exchange.auth.signed-in.v1": "New sign-in to your account",
  "exchange.auth.password-changed.v1": "Your password was changed",
};

/** A plain-text e-mail: the subject for the type, then each field on its own line (decimal strings as they came). */
export function renderEmail(to: string, notification: Notification): Email {
  const lines = Object.entries(notification.notice.data).map(([name, value]) => `${name}: ${String(value)}`);
  lines.push(`time: ${new Date(notification.notice.time).toISOString()}`, `event: ${notification.id}`);
  return { to, subject: SUBJECTS[notification.type] ?? notification.type, text: lines.join("\n") };
}
