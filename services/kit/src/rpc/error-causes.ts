/** An error and its causes, outermost first (at most 8: a cycle or a deep chain ends there). */
export function* causesOf(error: unknown): Generator<{ readonly code?: unknown; readonly message?: unknown }> {
  for (let cause: unknown = error, depth = 0; cause && depth < 8; cause = (cause as { cause?: unknown }).cause, depth++) yield cause as { code?: unknown; message?: unknown };
}

/**
 * The peer refused the call's HTTP/2 stream before processing it (REFUSED_STREAM: it is shutting down, a GOAWAY, or
 * over its stream limit); connect-node reports it as Internal. Nothing of the call ran: it may be sent again.
 */
export function refusedStream(error: unknown): boolean {
  for (const { message } of causesOf(error)) if (typeof message === "string" && message.includes("NGHTTP2_REFUSED_STREAM")) return true;
  return false;
}
