/**
 * A loopback HTTP proxy that tunnels CONNECT requests, recording each target, so a test can prove
 * a task's traffic went through the agent's proxy. It only tunnels to loopback addresses.
 */
import * as http from "node:http";
import * as net from "node:net";

export interface ConnectProxy {
  url: string;
  /** host:port of every CONNECT, in order. */
  targets: string[];
  /** Proxy-Authorization headers received. */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? "";
    targets.push(target);
    if (req.headers["proxy-authorization"]) authorizations.push(String(req.headers["proxy-authorization"]));
    const [host, port] = target.split(":");
    if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
