import { DomainError } from "#kit/errors/domain-error.js";
import type { Clock } from "#kit/clock/clock.js";
import type { PreferenceStore } from "../ports/preference-store.port.js";
import { NOTIFICATION_KINDS, type Preferences } from "./preferences.js";

export interface SetPreferencesDeps {
  readonly store: PreferenceStore;
  readonly clock: Clock;
  /** A new webhook signing secret (random). */
  readonly newSecret: () => string;
}

/**
 * Replaces an account's preferences. The webhook's signing secret is made when a webhook is first set, or on
 * request, and returned then only; it survives a webhook removed and set again.
 */
export class SetPreferences {
  constructor(private readonly deps: SetPreferencesDeps) {}

  async execute(preferences: Preferences, rotateSecret: boolean): Promise<{ preferences: Preferences; newSecret: string }> {
    const clean = normalize(preferences);
    const existing = await this.deps.store.get(clean.accountId);
    let secret = existing?.webhookSecret ?? "";
    let newSecret = "";
    if ((clean.webhook.url !== "" && secret === "") || rotateSecret) secret = newSecret = this.deps.newSecret();
    await this.deps.store.put({ preferences: clean, webhookSecret: secret }, this.deps.clock.now());
    return { preferences: clean, newSecret };
  }
}

function normalize(p: Preferences): Preferences {
  const url = p.webhook.url.trim();
  if (url !== "") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DomainError("INVALID_PARAMETER", "The webhook URL is not a URL.", [{ field: "preferences.webhook.url", description: "an absolute http(s) URL" }]);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      throw new DomainError("INVALID_PARAMETER", "The webhook URL must be http(s).", [{ field: "preferences.webhook.url", description: "an absolute http(s) URL" }]);
    }
  }
  const address = p.email.address.trim();
  if (address !== "" && !/^[^@\s]+@[^@\s]+$/.test(address)) {
    throw new DomainError("INVALID_PARAMETER", "The e-mail address is not one.", [{ field: "preferences.email.address", description: "name@domain" }]);
  }
  const kinds = (list: Preferences["email"]["kinds"]) => NOTIFICATION_KINDS.filter((k) => list.includes(k));
  return { accountId: p.accountId, webhook: { url, kinds: kinds(p.webhook.kinds) }, email: { address, kinds: kinds(p.email.kinds) } };
}
