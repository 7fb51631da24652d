import type { PreferenceStore } from "../ports/preference-store.port.js";
import { noPreferences, type Preferences } from "./preferences.js";

export class GetPreferences {
  constructor(private readonly store: PreferenceStore) {}

  async execute(accountId: string): Promise<{ preferences: Preferences; secretSet: boolean }> {
    const stored = await this.store.get(accountId);
    return { preferences: stored?.preferences ?? noPreferences(accountId), secretSet: (stored?.webhookSecret ?? "") !== "" };
  }
}
