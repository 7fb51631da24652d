/** The key-encryption key that wraps every data key. `id` lets sealed values name the key they need. */
export interface MasterKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/** Where the master key lives: an env var or a key file (embedded), Secrets Manager (AWS). */
export interface Secrets {
  masterKey(): Promise<MasterKey>;
}
