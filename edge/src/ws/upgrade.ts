import type { Duplex } from "node:stream";
import type { DomainError } from "#kit/errors/domain-error.js";

// What every WebSocket door of the edge does before the handshake: refuse with an HTTP answer
// and Binance's JSON body, and bound the open connections of each client IP.

/** Answers an upgrade with `status` and a JSON body, then closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body: { code: number; msg: string }, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}connection: close\r\n\r\n${text}`);
}

/**
 * Refuses the upgrade of a banned IP (the rate limiter's 418 refusal), with Retry-After; true when
 * refused. Looking the ban up failing admits the connection (the limits fail open, as REST's do).
 */
export async function refuseWhenBanned(ip: string, socket: Duplex, bannedIp: ((ip: string) => Promise<DomainError | undefined>) | undefined): Promise<boolean> {
  let ban: DomainError | undefined;
  try {
    ban = await bannedIp?.(ip);
  } catch {
    return false;
  }
  if (!ban) return false;
  const retryAfterMs = Number(ban.metadata.retryAfterMs);
  refuseUpgrade(socket, ban.spec.http, "I'm a teapot", { code: ban.spec.binance, msg: ban.message }, { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) });
  return true;
}

/** Open connections per client IP, each released when its TCP connection ends. */
export class ConnectionsPerIp {
  private readonly open = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Refuses the upgrade (429 -1003) when `ip` is at its limit now, counting nothing; true when refused. */
  refuseWhenFull(ip: string, socket: Duplex): boolean {
    if ((this.open.get(ip) ?? 0) < this.limit) return false;
    refuseUpgrade(socket, 429, "Too Many Requests", { code: -1003, msg: `Too many connections from this IP; at most ${this.limit}.` });
    return true;
  }

  /**
   * Counts `socket` for `ip` until it closes; false (and the upgrade refused with 429 -1003) when
   * the IP is at its limit. Counted before the handshake, so concurrent upgrades cannot pass it.
   */
  admit(ip: string, socket: Duplex): boolean {
    if (this.refuseWhenFull(ip, socket)) return false;
    this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
    socket.once("close", () => {
      const left = (this.open.get(ip) ?? 1) - 1;
      if (left <= 0) this.open.delete(ip);
      else this.open.set(ip, left);
    });
    return true;
  }
}
