/** Envelope encryption of small secrets (HMAC secrets, TOTP seeds, private JWKs). */
export interface SecretBox {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}
