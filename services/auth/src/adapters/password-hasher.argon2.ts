import argon2 from "argon2";
import type { PasswordHasher } from "../ports/password-hasher.port.js";

export interface Argon2Cost {
  /** KiB; OWASP's argon2id minimum is 19456 (19 MiB) with timeCost 2. Tests may go lower. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const DEFAULT_ARGON2_COST: Argon2Cost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export class Argon2PasswordHasher implements PasswordHasher {
  constructor(private readonly cost: Argon2Cost = DEFAULT_ARGON2_COST) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.cost });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // Not an argon2 hash (e.g. an account provisioned from Cognito has none).
      return false;
    }
  }
}
