/**
 * Streams whose other end hashes the bytes (the codec worker hashes what it decodes, and what it
 * is given): a consumer that reads such a stream to its end takes the SHA-256 from here instead
 * of hashing every byte again on its own thread. Keyed by the stream object; a wrapper that
 * re-emits the same bytes passes the entry on (`passDigest`).
 */
import type { DigesterFactory } from "../ports.ts";

/** A SHA-256 (hex) of a stream's bytes, once the stream has ended. */
export interface StreamDigest {
  hex: Promise<string>;
}

/** Resolves once the producer knows whether it hashes (undefined: it does not). */
const produced = new WeakMap<ReadableStream<Uint8Array>, Promise<StreamDigest | undefined>>();
/** The same for sinks: the hash of everything written to the stream, once it was closed. */
const taken = new WeakMap<WritableStream<Uint8Array>, Promise<StreamDigest | undefined>>();

export function setProducerDigest(stream: ReadableStream<Uint8Array>, digest: Promise<StreamDigest | undefined>): void {
  produced.set(stream, digest);
}

/** The producer's hash of everything `stream` emits. */
export function producerDigest(stream: ReadableStream<Uint8Array>): Promise<StreamDigest | undefined> {
  return produced.get(stream) ?? Promise.resolve(undefined);
}

/** `to` emits exactly the bytes `from` does. */
export function passDigest(from: ReadableStream<Uint8Array>, to: ReadableStream<Uint8Array>): void {
  const digest = produced.get(from);
  if (digest) produced.set(to, digest);
}

export function setSinkDigest(stream: WritableStream<Uint8Array>, digest: Promise<StreamDigest | undefined>): void {
  taken.set(stream, digest);
}

/** The sink's hash of everything written to `stream`; it resolves only once the stream was closed. */
export function sinkDigest(stream: WritableStream<Uint8Array>): Promise<StreamDigest | undefined> {
  return taken.get(stream) ?? Promise.resolve(undefined);
}

/**
 * `stream` as a stream that hashes what it emits, here: `digest` resolves at its end, and fails
 * when it errors or is cancelled first (so nobody waits on a hash that will not come).
 */
export function hashingStream(stream: ReadableStream<Uint8Array>, digests: DigesterFactory): { stream: ReadableStream<Uint8Array>; digest: StreamDigest } {
  const reader = stream.getReader();
  const digester = digests.sha256();
  const [hex, settle] = settleable<string>();
  const hashed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        settle.reject(e);
        throw e;
      }
      if (result.done) {
        settle.resolve(digester.hex());
        controller.close();
        return;
      }
      digester.update(result.value);
      controller.enqueue(result.value);
    },
    cancel(reason) {
      settle.reject(reason ?? new Error("cancelled"));
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const digest = { hex };
  setProducerDigest(hashed, Promise.resolve(digest));
  return { stream: hashed, digest };
}

/** A promise and its settlers (a digest to come); a failure nobody asks for is not reported as unhandled. */
export function settleable<T>(): [Promise<T>, { resolve(value: T): void; reject(e: unknown): void }] {
  let settle: { resolve(value: T): void; reject(e: unknown): void } | undefined;
  const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  promise.catch(() => {});
  return [promise, settle!];
}
