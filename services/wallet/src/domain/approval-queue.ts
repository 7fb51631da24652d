// The approval queue's cursor, shared by every store: withdrawals awaiting approval are served
// oldest first by (creation time, document id), and a page's `next` names the last one returned.
// It is also DynamoDB's sort key in the queue's index, so that store compares it as it is.

import { invalidField } from "./wallet.errors.js";

const TIME_WIDTH = 15;

export interface QueuePosition {
  /** docAwaitingSince: the withdrawal's creation time. */
  readonly since: number;
  /** The document id (`withdrawal:<id>`). */
  readonly id: string;
}

export function encodeQueueCursor(position: QueuePosition): string {
  return `${position.since.toString().padStart(TIME_WIDTH, "0")}#${position.id}`;
}

/** undefined for the first page (empty token); a token no page gave fails INVALID_PARAMETER on page_token. */
export function decodeQueueCursor(token: string): QueuePosition | undefined {
  if (token === "") return undefined;
  const match = /^(\d{15})#([\s\S]+)$/.exec(token);
  if (!match) throw invalidField("page_token", "not a token from a previous page");
  return { since: Number(match[1]), id: match[2]! };
}
