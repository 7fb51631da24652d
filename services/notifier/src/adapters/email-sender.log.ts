/**
 * E-mail written to the log instead of sent: the embedded default and the stand-in until a provider adapter (SES,
 * SMTP) exists. Every e-mail is one structured info line, and `sent` keeps the last ones for inspection.
 */
import type { Email } from "../domain/render-email.js";
import type { EmailSender } from "../ports/email-sender.port.js";

export interface LogSink {
  info(fields: object, message: string): void;
}

export class LogEmailSender implements EmailSender {
  readonly sent: Email[] = [];

  constructor(
    private readonly log?: LogSink,
    private readonly keep = 1000,
  ) {}

  async send(email: Email): Promise<void> {
    this.log?.info({ email: { to: email.to, subject: email.subject, text: email.text } }, "notification e-mail");
    this.sent.push(email);
    if (this.sent.length > this.keep) this.sent.splice(0, this.sent.length - this.keep);
  }
}
