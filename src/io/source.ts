/**
 * ByteSource: something that fills a caller's buffer. Readers hand it a view of the memory
 * they parse from (e.g. the WASM engine window), so bytes land there without another copy.
 * A `FileHandle` from `src/ports.ts` is already a ByteSource.
 */
export interface ByteSource {
  /** Reads up to `into.length` bytes into `into`; resolves the count, 0 only at the end. */
  read(into: Uint8Array): Promise<number>;
  /**
   * Optional: passes over up to `n` bytes without delivering them (a seek on a file or a Blob);
   * resolves how many were passed, fewer only at the end. Readers use it to skip large bodies.
   */
  skip?(n: number): Promise<number>;
}

export type ByteInput = ByteSource | ReadableStream<Uint8Array> | Uint8Array;

/** Streams whose producer can copy straight into a reader's buffer, and reuse its own once copied out. */
const copying = new WeakMap<ReadableStream<Uint8Array>, () => ByteSource>();

/** `open()` reads what `stream` would emit; `streamSource` uses it instead of the stream's chunks. */
export function setCopyingSource(stream: ReadableStream<Uint8Array>, open: () => ByteSource): void {
  copying.set(stream, open);
}

export function copyingSourceOf(stream: ReadableStream<Uint8Array>): (() => ByteSource) | undefined {
  return copying.get(stream);
}

/** Adapts a stream: each chunk is copied into the view the reader passes (that copy replaces the parser's own). */
export function streamSource(stream: ReadableStream<Uint8Array>): ByteSource & { cancel(reason?: unknown): Promise<void> } {
  const reader = stream.getReader(); // locked either way: nothing else reads the stream meanwhile
  const direct = copying.get(stream)?.();
  if (direct) return { read: (into) => direct.read(into), cancel: (reason) => reader.cancel(reason) };
  let pending: Uint8Array | undefined;
  let done = false;
  return {
    async read(into: Uint8Array): Promise<number> {
      if (into.length === 0) return 0;
      while (!pending || pending.length === 0) {
        if (done) return 0;
        const next = await reader.read();
        if (next.done) {
          done = true;
          return 0;
        }
        pending = next.value;
      }
      const n = Math.min(into.length, pending.length);
      into.set(n === pending.length ? pending : pending.subarray(0, n));
      pending = pending.subarray(n);
      return n;
    },
    async cancel(reason?: unknown): Promise<void> {
      done = true;
      await reader.cancel(reason);
    },
  };
}

/** Serves `head` (bytes already read, e.g. to sniff magic bytes) first, then reads `rest` straight into the caller's buffer. */
export function prependSource(head: Uint8Array, rest: ByteSource): ByteSource {
  let pending = head;
  return {
    async read(into: Uint8Array): Promise<number> {
      if (pending.length > 0) {
        const n = Math.min(into.length, pending.length);
        into.set(pending.subarray(0, n));
        pending = pending.subarray(n);
        return n;
      }
      return rest.read(into);
    },
  };
}

/** Serves bytes already in memory. */
export function bytesSource(data: Uint8Array): ByteSource {
  let at = 0;
  return {
    read(into: Uint8Array): Promise<number> {
      const n = Math.min(into.length, data.length - at);
      into.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

export function toByteSource(input: ByteInput): ByteSource {
  if (input instanceof Uint8Array) return bytesSource(input);
  if (input instanceof ReadableStream) return streamSource(input);
  return input;
}

/** Reads until `into` is full or the source ends; resolves the count. */
export async function readFull(source: ByteSource, into: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const n = await source.read(into.subarray(filled));
    if (n === 0) break;
    filled += n;
  }
  return filled;
}
