/** What a user wants to hear about, and where. */

export const NOTIFICATION_KINDS = ["TRADE_FILL", "ORDER_STATE", "DEPOSIT", "WITHDRAWAL", "SECURITY"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const CHANNELS = ["webhook", "email"] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Preferences {
  readonly accountId: string;
  readonly webhook: { readonly url: string; readonly kinds: readonly NotificationKind[] };
  readonly email: { readonly address: string; readonly kinds: readonly NotificationKind[] };
}

/** The preferences of an account that never set any: nothing is sent. */
export function noPreferences(accountId: string): Preferences {
  return { accountId, webhook: { url: "", kinds: [] }, email: { address: "", kinds: [] } };
}

/** The channels a notification of `kind` goes to. */
export function channelsFor(preferences: Preferences, kind: NotificationKind): Channel[] {
  const out: Channel[] = [];
  if (preferences.webhook.url !== "" && preferences.webhook.kinds.includes(kind)) out.push("webhook");
  if (preferences.email.address !== "" && preferences.email.kinds.includes(kind)) out.push("email");
  return out;
}
