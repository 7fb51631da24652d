/** RFC 6238 TOTP (30 s steps, 6 digits, SHA-1: what authenticator apps speak). */
export interface Totp {
  generateSecret(): string;
  uri(secret: string, issuer: string, label: string): string;
  /** The matched time step, or undefined; codes of steps <= afterStep are refused (replay). */
  verify(secret: string, code: string, nowMs: number, afterStep: number): Promise<number | undefined>;
}
