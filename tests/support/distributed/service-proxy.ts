// A stand-in for a Kubernetes Service (ClusterIP) on loopback: a TCP proxy that spreads connections over the
// replicas' ports, round robin, like kube-proxy spreads them over a Service's endpoints. It is not code under
// test. One difference, on purpose: a replica that refuses the connection (killed) is skipped at once, where
// Kubernetes would stop sending it connections only once its readiness probe failed; connections already open to
// a killed replica break either way. gRPC keeps one HTTP/2 connection per peer, so, as in Kubernetes, a caller
// talks to one replica until that connection breaks.
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface ServiceProxy {
  readonly port: number;
  readonly url: string;
  /** Connections opened through it, per backend port (how the load spread). */
  readonly connections: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export async function startServiceProxy(backends: readonly number[], port = 0, host = "127.0.0.1"): Promise<ServiceProxy> {
  let next = 0;
  const sockets = new Set<Socket>();
  const connections = new Map<number, number>();
  const server: Server = createServer((client) => {
    client.pause();
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    const attempt = (tried: number) => {
      if (tried >= backends.length || client.destroyed) {
        client.destroy();
        return;
      }
      const backend = backends[next++ % backends.length]!;
      const upstream = connect({ host, port: backend });
      sockets.add(upstream);
      upstream.once("connect", () => {
        connections.set(backend, (connections.get(backend) ?? 0) + 1);
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        upstream.pipe(client);
        client.pipe(upstream);
        client.resume();
        upstream.on("error", () => client.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
      upstream.once("error", (error: NodeJS.ErrnoException) => {
        sockets.delete(upstream);
        if (upstream.connecting || error.code === "ECONNREFUSED") attempt(tried + 1);
        else client.destroy();
      });
      upstream.on("close", () => sockets.delete(upstream));
    };
    attempt(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://${host}:${bound}`,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
