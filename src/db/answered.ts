import type pg from "pg";
import { ConnectionError } from "../errors.js";

/**
 * The query's answer, but rejected when the connection dies or stays silent. A silent network
 * (no reset, no data) is caught by `timeoutMs`: the socket is destroyed so nothing waits forever.
 */
export function answeredOrLost<T>(client: pg.Client, pending: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => onError(new Error("Connection terminated unexpectedly"));
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            onError(silentServerError(timeoutMs));
            (
              client as unknown as { connection?: { stream?: { destroy(): void } } }
            ).connection?.stream?.destroy();
          }, timeoutMs)
        : undefined;
    const cleanup = () => {
      clearTimeout(timer);
      client.removeListener("error", onError);
      client.removeListener("end", onEnd);
    };
    client.once("error", onError);
    client.once("end", onEnd);
    pending.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** The error for a round trip that got no answer for `timeoutMs`. */
export function silentServerError(timeoutMs: number): ConnectionError {
  return new ConnectionError(
    "E_TIMEOUT",
    `No answer from the server for ${timeoutMs} ms while reading rows`,
    {
      hint: "The network path to the database stalled; check VPN/bastion and try again.",
    },
  );
}
