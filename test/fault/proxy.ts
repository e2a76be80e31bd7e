import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A loopback TCP proxy between the tool and PostgreSQL that injects network faults: cut (both
 * sockets destroyed) or stall (traffic stops, sockets stay open) after a number of bytes in one
 * direction, or on command. It listens on 127.0.0.1 only, and closes itself after `lifetimeMs`
 * so a forgotten proxy can never outlive its test.
 */

/** toServer: tool → PostgreSQL (queries, COPY data in). toClient: PostgreSQL → tool (rows, COPY out). */
export type Direction = "toServer" | "toClient";
export type FaultAction = "cut" | "stall";

export interface FaultRule {
  direction: Direction;
  /** Bytes to let through (counted from when the rule is armed, over all connections) before acting. */
  afterBytes?: number;
  /**
   * Instead of a byte count: act on the chunk that carries this text (e.g. a statement's SQL in
   * its Query or Parse message), the `occurrence`-th time it passes. None of that chunk is
   * forwarded, so the server never sees the statement: the fault lands at a known step.
   */
  whenSent?: string;
  /** Which occurrence of `whenSent` triggers the rule (default 1). */
  occurrence?: number;
  action: FaultAction;
  /** Only connections opened after the rule was armed count (default false: every connection). */
  newConnectionsOnly?: boolean;
}

export interface FaultProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Hard bound on the proxy's life (default 60 s): then every socket and the server close. */
  lifetimeMs?: number;
}

interface Link {
  id: number;
  client: Socket;
  server: Socket;
  stalled: boolean;
  /** Chunks held back while stalled, released by `release()`. */
  held: { direction: Direction; chunk: Buffer }[];
}

interface ArmedRule extends FaultRule {
  remaining: number;
  /** Occurrences of `whenSent` still to let through. */
  sightings: number;
  firstLinkId: number;
  fired: boolean;
  firedResolvers: (() => void)[];
}

export class FaultProxy {
  /** Bytes forwarded so far in each direction, over all connections. */
  readonly bytes: Record<Direction, number> = { toServer: 0, toClient: 0 };
  /** Connections accepted so far. */
  connections = 0;
  /** Connections cut by a rule or by `cutAll()`. */
  cuts = 0;
  private readonly links = new Set<Link>();
  private rules: ArmedRule[] = [];
  private nextLinkId = 1;
  private closed = false;
  private readonly lifetime: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: FaultProxyOptions,
  ) {
    this.lifetime = setTimeout(() => void this.close(), options.lifetimeMs ?? 60_000);
    this.lifetime.unref();
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
    const proxy = new FaultProxy(server, address.port, options);
    server.on("connection", (socket) => proxy.accept(socket));
    return proxy;
  }

  /** Starts a proxy in front of the server a postgres:// URL points at. */
  static forUrl(url: string, lifetimeMs?: number): Promise<FaultProxy> {
    const parsed = new URL(url);
    return FaultProxy.start({
      targetHost: parsed.hostname || "127.0.0.1",
      targetPort: Number(parsed.port || 5432),
      ...(lifetimeMs ? { lifetimeMs } : {}),
    });
  }

  /** The same URL, routed through this proxy. */
  url(databaseUrl: string): string {
    const parsed = new URL(databaseUrl);
    parsed.hostname = "127.0.0.1";
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Arms a rule; the promise resolves when it fires. Rules fire once. */
  arm(rule: FaultRule): Promise<void> {
    return new Promise((resolve) => {
      this.rules.push({
        ...rule,
        remaining: rule.afterBytes ?? 0,
        sightings: (rule.occurrence ?? 1) - 1,
        firstLinkId: rule.newConnectionsOnly ? this.nextLinkId : 0,
        fired: false,
        firedResolvers: [resolve],
      });
    });
  }

  /** Cuts every open connection now. */
  cutAll(): number {
    const count = this.links.size;
    for (const link of [...this.links]) this.cut(link);
    return count;
  }

  /** Stalls every open connection now: nothing more is forwarded until `release()`. */
  stallAll(): void {
    for (const link of this.links) link.stalled = true;
  }

  /** Ends every stall: held traffic is forwarded, then traffic flows again. */
  release(): void {
    for (const link of this.links) {
      link.stalled = false;
      for (const { direction, chunk } of link.held.splice(0)) this.forward(link, direction, chunk);
    }
  }

  get openConnections(): number {
    return this.links.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.lifetime);
    this.rules = [];
    for (const link of [...this.links]) this.cut(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    this.connections += 1;
    const server = tcpConnect({ host: this.options.targetHost, port: this.options.targetPort });
    const link: Link = { id: this.nextLinkId++, client, server, stalled: false, held: [] };
    this.links.add(link);
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on("data", (chunk: Buffer) => this.forward(link, "toServer", chunk));
    server.on("data", (chunk: Buffer) => this.forward(link, "toClient", chunk));
    const end = () => this.cut(link, false);
    for (const socket of [client, server]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  }

  private forward(link: Link, direction: Direction, chunk: Buffer): void {
    if (!this.links.has(link)) return;
    if (link.stalled) {
      link.held.push({ direction, chunk });
      return;
    }
    for (const rule of this.rules) {
      if (rule.fired || rule.direction !== direction || link.id < rule.firstLinkId) continue;
      if (rule.whenSent !== undefined) {
        if (!chunk.includes(rule.whenSent)) continue;
        if (rule.sightings > 0) {
          rule.sightings -= 1;
          continue;
        }
        this.fire(link, direction, rule, Buffer.alloc(0), chunk);
        return;
      }
      if (chunk.length < rule.remaining) {
        rule.remaining -= chunk.length;
        continue;
      }
      this.fire(link, direction, rule, chunk.subarray(0, rule.remaining), chunk.subarray(rule.remaining));
      return;
    }
    this.write(link, direction, chunk);
  }

  /** Forwards `allowed`, then cuts the link or stalls it holding `rest`. */
  private fire(link: Link, direction: Direction, rule: ArmedRule, allowed: Buffer, rest: Buffer): void {
    rule.fired = true;
    this.rules = this.rules.filter((r) => r !== rule);
    this.write(link, direction, allowed);
    if (rule.action === "cut") {
      this.cut(link);
    } else {
      link.stalled = true;
      if (rest.length > 0) link.held.push({ direction, chunk: rest });
    }
    for (const resolve of rule.firedResolvers) resolve();
  }

  private write(link: Link, direction: Direction, chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytes[direction] += chunk.length;
    (direction === "toServer" ? link.server : link.client).write(chunk);
  }

  private cut(link: Link, counted = true): void {
    if (!this.links.delete(link)) return;
    if (counted) this.cuts += 1;
    link.held = [];
    link.client.destroy();
    link.server.destroy();
  }
}
