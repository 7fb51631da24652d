/** Posts one notification to a user's webhook; throws when the endpoint did not take it (non-2xx, timeout, refused). */
export interface WebhookSender {
  send(request: { readonly url: string; readonly secret: string; readonly eventId: string; readonly body: string }): Promise<void>;
}
