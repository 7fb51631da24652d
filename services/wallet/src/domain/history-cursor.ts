// The history cursor of stores without a global commit sequence (DynamoDB and its PostgreSQL
// projection): entries are ordered newest first by (time, transfer id, index of the entry in its
// transfer), and a page's `next` names the last entry returned. Both serve the same order, so a
// token from one is valid on the other.

import { invalidField } from "./wallet.errors.js";

const TIME_WIDTH = 15;

export interface HistoryPosition {
  readonly time: number;
  readonly transferId: string;
  readonly index: number;
}

export function encodeHistoryCursor(position: HistoryPosition): string {
  return `${position.index}:${position.time.toString().padStart(TIME_WIDTH, "0")}#${position.transferId}`;
}

/** undefined for the first page (empty token). */
export function decodeHistoryCursor(token: string): HistoryPosition | undefined {
  if (token === "") return undefined;
  const match = /^(\d+):(\d+)#([\s\S]*)$/.exec(token);
  if (!match) throw invalidField("page_token", "not a token from a previous page");
  return { index: Number(match[1]), time: Number(match[2]), transferId: match[3]! };
}

/** true if `a` comes after `b` in history order (i.e. is older, served later). */
export function isOlder(a: HistoryPosition, b: HistoryPosition): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.transferId !== b.transferId) return a.transferId < b.transferId;
  return a.index < b.index;
}
