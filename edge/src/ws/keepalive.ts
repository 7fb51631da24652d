import type WebSocket from "ws";
import type { WebSocketLimits } from "./market-streams.js";

/**
 * A client socket's keepalive and lifetime, as Binance runs them: a ping every interval, the
 * socket terminated when no pong came within the timeout, closed with 1000 when its lifetime
 * ends. Returns what stops both timers (call it when the socket closes).
 */
export function keepAlive(socket: WebSocket, limits: WebSocketLimits, now: () => number): () => void {
  let lastPong = now();
  socket.on("pong", () => (lastPong = now()));
  const pinger = setInterval(() => {
    if (now() - lastPong > limits.pongTimeoutMs) socket.terminate();
    else socket.ping();
  }, limits.pingIntervalMs);
  const lifetime = setTimeout(() => socket.close(1000, "connection lifetime reached"), limits.maxConnectionMs);
  return () => {
    clearInterval(pinger);
    clearTimeout(lifetime);
  };
}
