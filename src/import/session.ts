import type pg from "pg";
import { type ConnectionSettings, connect, disconnect } from "../db/connect.js";

/** The importer's working connection; replaced after a transient failure. */
export class ImportSession {
  private current: pg.Client | undefined;

  constructor(private readonly settings: ConnectionSettings) {}

  get client(): pg.Client {
    if (!this.current) throw new Error("import session is not connected");
    return this.current;
  }

  async open(): Promise<pg.Client> {
    this.current = await connect(this.settings);
    return this.current;
  }

  /** Drops the (possibly broken) connection and opens a fresh one. */
  async reconnect(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    await disconnect(old);
    await this.open();
  }

  async close(warn?: (message: string) => void): Promise<void> {
    const old = this.current;
    this.current = undefined;
    await disconnect(old, warn);
  }
}
