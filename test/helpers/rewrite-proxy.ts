import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** One byte-for-byte substitution on the tool → PostgreSQL stream (same length: framing stays valid). */
export interface Rewrite {
  from: string;
  to: string;
}

/**
 * A loopback proxy that plays the "pooler rewriting session settings" the export's read-only
 * layers defend against: it replaces bytes in what the tool sends (startup options, queries).
 * Each rewrite must keep the length, so PostgreSQL's message framing is untouched.
 */
export class RewriteProxy {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(
    target: { host: string; port: number },
    rewrites: readonly Rewrite[],
  ): Promise<RewriteProxy> {
    for (const r of rewrites) {
      if (Buffer.byteLength(r.from) !== Buffer.byteLength(r.to))
        throw new Error(`rewrite must keep the length: ${r.from}`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
    const proxy = new RewriteProxy(server, address.port);
    server.on("connection", (client) => {
      const upstream = tcpConnect(target.port, target.host);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on("close", () => proxy.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Local messages arrive whole (a startup packet, one Query): one chunk holds each pattern.
      client.on("data", (chunk: Buffer) => {
        let text = chunk.toString("latin1");
        for (const r of rewrites) text = text.split(r.from).join(r.to);
        upstream.write(Buffer.from(text, "latin1"));
      });
      upstream.on("data", (chunk: Buffer) => client.write(chunk));
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
    });
    return proxy;
  }

  /** The same database URL, routed through this proxy. */
  url(databaseUrl: string): string {
    const parsed = new URL(databaseUrl);
    parsed.hostname = "127.0.0.1";
    parsed.port = String(this.port);
    return parsed.toString();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
