/**
 * Bytes of row chunks read ahead of the consumer. Enough to cover the time Node spends on a
 * few chunks (framing, hashing, zstd) so PostgreSQL never waits on a full socket; small enough
 * that memory stays flat (measured: see docs/benchmarks.md).
 */
export const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Pulls items from `source` as fast as they arrive, while the consumer works on earlier ones,
 * holding at most about `maxBytes` of them. Errors reach the consumer in order (after the items
 * read before them); when the consumer stops early, the source is closed (its finally blocks
 * run, releasing its COPY stream).
 */
export async function* readAhead<T extends { rows: Buffer }>(
  source: AsyncIterable<T>,
  maxBytes = READ_AHEAD_BYTES,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let queuedBytes = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;

  const produce = async () => {
    try {
      while (!stopped) {
        if (queuedBytes >= maxBytes) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
          continue;
        }
        const next = await iterator.next();
        if (next.done) break;
        queue.push(next.value);
        queuedBytes += next.value.rows.length;
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  };
  const producing = produce();

  try {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        queuedBytes -= item.rows.length;
        const resume = wakeProducer;
        wakeProducer = undefined;
        resume?.();
        yield item;
        continue;
      }
      if (finished) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
      wakeConsumer = undefined;
    }
  } finally {
    if (!finished) {
      stopped = true;
      const resume = wakeProducer;
      wakeProducer = undefined;
      resume?.();
      // Wait for the pending read, then close the source so its resources are released.
      await producing;
      await iterator.return?.();
    }
  }
}
