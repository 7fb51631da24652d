import { generateSecret, generateURI, verify } from "otplib";
import type { Totp } from "../ports/totp.port.js";

/** otplib with authenticator defaults; one step (30 s) of drift either way is accepted. */
export class OtplibTotp implements Totp {
  generateSecret(): string {
    return generateSecret({ length: 20 });
  }

  uri(secret: string, issuer: string, label: string): string {
    return generateURI({ issuer, label, secret });
  }

  async verify(secret: string, code: string, nowMs: number, afterStep: number): Promise<number | undefined> {
    try {
      const result = await verify({ secret, token: code, epoch: Math.floor(nowMs / 1000), epochTolerance: 30, afterTimeStep: afterStep > 0 ? afterStep : undefined });
      return result.valid && "timeStep" in result ? result.timeStep : undefined;
    } catch {
      // Malformed code, or a last step ahead of this clock: not a valid code now.
      return undefined;
    }
  }
}
