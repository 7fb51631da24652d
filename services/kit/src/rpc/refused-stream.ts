/**
 * The peer refused the call's HTTP/2 stream before processing it (REFUSED_STREAM: it is shutting down, a GOAWAY, or
 * over its stream limit); connect-node reports it as Internal. Nothing of the call ran: it may be sent again.
 */
export function refusedStream(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause && depth < 8; cause = (cause as { cause?: unknown }).cause, depth++) {
    const message = (cause as { message?: unknown }).message;
    if (typeof message === "string" && message.includes("NGHTTP2_REFUSED_STREAM")) return true;
  }
  return false;
}
