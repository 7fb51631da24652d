import type { Email } from "../domain/render-email.js";

/** Sends one e-mail; throws when the provider did not accept it. */
export interface EmailSender {
  send(email: Email): Promise<void>;
}
