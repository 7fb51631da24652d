import { DomainError } from "../errors/domain-error.js";

// Binance's timing security for SIGNED requests: `timestamp` (ms) and optional `recvWindow`
// (default 5 s, at most 60 s) read from the signed payload, and the freshness rule. Pure.

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of our clock a timestamp may be (Binance allows 1 s). */
export const MAX_FUTURE_MS = 1_000;

export interface SignedTiming {
  readonly timestamp: number;
  readonly recvWindow: number;
}

/** Reads timestamp and recvWindow from the signed payload; a malformed one fails with -1102 / -1130. */
export function parseTiming(payload: string): SignedTiming {
  const params = new URLSearchParams(payload);
  const timestampText = params.get("timestamp");
  if (timestampText === null || !/^\d{1,16}$/.test(timestampText)) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", [{ field: "timestamp", description: "required, milliseconds since the epoch" }]);
  }
  const windowText = params.get("recvWindow");
  let recvWindow = DEFAULT_RECV_WINDOW_MS;
  if (windowText !== null) {
    if (!/^\d{1,16}$/.test(windowText)) {
      throw new DomainError("INVALID_PARAMETER", "Invalid recvWindow.", [{ field: "recvWindow", description: "an integer number of milliseconds" }]);
    }
    recvWindow = Number(windowText);
    if (recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW_MS) {
      throw new DomainError("INVALID_PARAMETER", `recvWindow must be between 1 and ${MAX_RECV_WINDOW_MS}.`, [{ field: "recvWindow", description: `1..${MAX_RECV_WINDOW_MS}` }]);
    }
  }
  return { timestamp: Number(timestampText), recvWindow };
}

/** Binance's rule: accepted when timestamp < now + 1000 and now - timestamp <= recvWindow; else -1021. */
export function assertFresh(timing: SignedTiming, now: number): void {
  if (timing.timestamp >= now + MAX_FUTURE_MS) {
    throw new DomainError("INVALID_TIMESTAMP", "Timestamp for this request was 1000ms ahead of the server's time.", [], { cause: "future" });
  }
  if (now - timing.timestamp > timing.recvWindow) {
    throw new DomainError("INVALID_TIMESTAMP", "Timestamp for this request is outside of the recvWindow.", [], { cause: "stale" });
  }
}

