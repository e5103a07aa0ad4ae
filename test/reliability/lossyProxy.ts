/**
 * A lost answer: the request reaches the emulator and is carried out, but the answer never comes
 * back. The emulator's own "reset" fault drops the connection before its handler runs (nothing is
 * created), so this loopback proxy (the agent's proxy, Agent.ProxyUrl) provides the other case: it
 * tunnels CONNECT to the emulator and, once the emulator has answered a request matching `drop`
 * (2xx, seen in its request log), cuts the tunnel that carried it instead of forwarding the answer.
 * TLS stays end to end: the emulator logs an answer synchronously just before writing it, so the
 * first bytes any tunnel receives after that are the answer's (the tasks make these calls one at a
 * time), and that tunnel is cut.
 */
import * as http from "node:http";
import * as net from "node:net";
import type { Emulator } from "../../devkit/emulator";
import { matches, onRequest, type RequestMatch } from "./requestWatch";

export interface LossyProxy {
  /** http://127.0.0.1:<port>, for the Agent.ProxyUrl variable. */
  url: string;
  /** How many answers were dropped. */
  readonly dropped: number;
  close(): Promise<void>;
}

interface Tunnel {
  client: net.Socket;
  upstream: net.Socket;
}

export async function startLossyProxy(emu: Emulator, drop: RequestMatch, times = 1): Promise<LossyProxy> {
  const tunnels = new Set<Tunnel>();
  let pending = 0;
  let dropped = 0;
  const stopWatching = onRequest(emu, (entry) => {
    if (dropped + pending < times && matches(entry, drop) && entry.status >= 200 && entry.status < 300) pending++;
  });
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? "").split(":");
    if (host !== "127.0.0.1" && host !== "localhost") {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
    });
    const tunnel: Tunnel = { client, upstream };
    tunnels.add(tunnel);
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (pending > 0) {
        pending--;
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      tunnels.delete(tunnel);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("close", close);
      s.on("error", close);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get dropped() {
      return dropped;
    },
    close: () =>
      new Promise<void>((resolve) => {
        stopWatching();
        for (const t of tunnels) {
          t.client.destroy();
          t.upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
