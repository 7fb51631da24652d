import { create } from "@bufbuild/protobuf";
import {
  NotificationKind as ProtoKind,
  NotificationPreferencesSchema,
  type NotificationPreferences,
} from "#gen/exchange/notifier/v1/notifier_pb.js";
import { NOTIFICATION_KINDS, type NotificationKind, type Preferences } from "../domain/preferences.js";

const TO_PROTO: Readonly<Record<NotificationKind, ProtoKind>> = {
  TRADE_FILL: ProtoKind.TRADE_FILL,
  ORDER_STATE: ProtoKind.ORDER_STATE,
  DEPOSIT: ProtoKind.DEPOSIT,
  WITHDRAWAL: ProtoKind.WITHDRAWAL,
  SECURITY: ProtoKind.SECURITY,
};

const kindsFromProto = (kinds: readonly ProtoKind[]): NotificationKind[] => NOTIFICATION_KINDS.filter((k) => kinds.includes(TO_PROTO[k]));

export function toPreferences(accountId: string, message: NotificationPreferences | undefined): Preferences {
  return {
    accountId,
    webhook: { url: message?.webhook?.url ?? "", kinds: kindsFromProto(message?.webhook?.kinds ?? []) },
    email: { address: message?.email?.address ?? "", kinds: kindsFromProto(message?.email?.kinds ?? []) },
  };
}

export function toPreferencesMessage(p: Preferences): NotificationPreferences {
  return create(NotificationPreferencesSchema, {
    webhook: { url: p.webhook.url, kinds: p.webhook.kinds.map((k) => TO_PROTO[k]) },
    email: { address: p.email.address, kinds: p.email.kinds.map((k) => TO_PROTO[k]) },
  });
}
