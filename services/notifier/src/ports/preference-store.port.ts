import type { Preferences } from "../domain/preferences.js";

export interface StoredPreferences {
  readonly preferences: Preferences;
  /** The webhook's HMAC-SHA256 key; empty when none was made yet. */
  readonly webhookSecret: string;
}

export interface PreferenceStore {
  get(accountId: string): Promise<StoredPreferences | undefined>;
  put(stored: StoredPreferences, updatedAt: number): Promise<void>;
}
