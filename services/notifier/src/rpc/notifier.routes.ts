import type { ConnectRouter } from "@connectrpc/connect";
import { NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import type { GetPreferences } from "../domain/get-preferences.use-case.js";
import type { SetPreferences } from "../domain/set-preferences.use-case.js";
import { toPreferences, toPreferencesMessage } from "./notifier.mapper.js";

/** notifier.v1 over its use cases: proto <-> domain, nothing else. */
export function notifierRoutes(deps: { readonly get: GetPreferences; readonly set: SetPreferences }) {
  return (router: ConnectRouter) =>
    router.service(NotifierService, {
      async getNotificationPreferences(request) {
        const { preferences, secretSet } = await deps.get.execute(request.accountId);
        return { preferences: toPreferencesMessage(preferences), webhookSecretSet: secretSet };
      },
      async setNotificationPreferences(request) {
        const { preferences, newSecret } = await deps.set.execute(toPreferences(request.accountId, request.preferences), request.rotateWebhookSecret);
        return { preferences: toPreferencesMessage(preferences), webhookSecret: newSecret };
      },
    });
}
