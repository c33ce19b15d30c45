/**
 * Streams whose producer hashes the bytes it emits (the codec worker hashes what it decodes): a
 * consumer that reads such a stream to its end takes the SHA-256 from here instead of hashing
 * every byte again on its own thread. Keyed by the stream object; a wrapper that re-emits the
 * same bytes passes the entry on (`passDigest`).
 */

/** The producer's SHA-256 (hex) of everything the stream emits, once it has ended. */
export interface ProducerDigest {
  hex: Promise<string>;
}

/** Resolves once the producer knows whether it hashes (undefined: it does not). */
const known = new WeakMap<ReadableStream<Uint8Array>, Promise<ProducerDigest | undefined>>();

export function setProducerDigest(stream: ReadableStream<Uint8Array>, digest: Promise<ProducerDigest | undefined>): void {
  known.set(stream, digest);
}

export function producerDigest(stream: ReadableStream<Uint8Array>): Promise<ProducerDigest | undefined> {
  return known.get(stream) ?? Promise.resolve(undefined);
}

/** `to` emits exactly the bytes `from` does. */
export function passDigest(from: ReadableStream<Uint8Array>, to: ReadableStream<Uint8Array>): void {
  const digest = known.get(from);
  if (digest) known.set(to, digest);
}
