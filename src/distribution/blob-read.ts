/**
 * Reading a blob as a stream that checks itself: every byte is hashed on its way, a connection
 * that breaks (or ends short of the descriptor's size) is resumed with a `Range` request from the
 * byte reached, and the end of the stream is where size and digest are compared. `settle` reads
 * whatever a consumer left unread (a decompressor stops at its own end marker), so a corrupt
 * blob is named by its digest even when the bytes after the corruption were never needed.
 *
 * With `hashedByReader`, the bytes are hashed by the stream's reader instead (the codec worker,
 * off the main thread): the end checks only the size, and `settle` compares the reader's digest
 * (`readerDigest`). When there is none (the reader stopped early, or failed), `settle` reads the
 * blob again, whole, and hashes it itself: a failing pull still names a corrupt blob.
 */
import type { DigesterFactory } from "../ports.ts";
import { readAll } from "../io/bytes.ts";
import { WharfError } from "../errors.ts";
import type { RegistryClient } from "./client.ts";
import { pullScope } from "./client.ts";
import type { Descriptor } from "./manifest.ts";

export interface BlobReadOptions {
  digests: DigesterFactory;
  /** Called with each chunk's length as it arrives (progress). */
  onBytes?: (n: number) => void;
  /** How often a broken connection is resumed before the pull gives up. */
  maxResumes?: number;
  /** The error when the bytes do not hash to the digest (Docker words it per kind of blob). */
  mismatch?: (digest: string) => string;
  /** A GET of the whole blob already sent (a download started early); used for the first read. */
  started?: Promise<Response>;
  /** The reader hashes every byte it takes and hands its digest to `readerDigest`. */
  hashedByReader?: boolean;
}

export interface BlobReader {
  stream: ReadableStream<Uint8Array>;
  /** Reads what is left and verifies; throws DIGEST_MISMATCH naming the digest. Idempotent. */
  settle(): Promise<void>;
  /** With `hashedByReader`: the reader's SHA-256 (hex) of all it took, resolving once it took the end. */
  readerDigest(hex: Promise<string>): void;
  /** Range requests made to resume. */
  readonly resumes: number;
}

export function openBlob(client: RegistryClient, repository: string, desc: Descriptor, options: BlobReadOptions): BlobReader {
  let digester = options.digests.sha256();
  let hashHere = !options.hashedByReader;
  let fromReader: Promise<string> | undefined;
  let onBytes = options.onBytes;
  const maxResumes = options.maxResumes ?? 5;
  const mismatch = options.mismatch ?? ((d: string) => `blob verification failed for digest ${d}`);
  let offset = 0;
  let resumes = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let skip = 0; // bytes to drop when a server ignored our Range and restarted from 0
  let finished: Promise<void> | undefined;
  let lastError: unknown;
  let lock: Promise<unknown> = Promise.resolve();

  let started = options.started;
  const open = async () => {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const early = offset === 0 ? started : undefined;
    started = undefined;
    const response = await (early ?? client.request("GET", blobPath(repository, desc.digest), { scopes: [pullScope(repository)], headers, what: `blob ${desc.digest}` }));
    skip = offset > 0 && response.status !== 206 ? offset : 0;
    if (!response.body) throw new WharfError("NETWORK", `blob ${desc.digest}: the registry sent no body`);
    reader = response.body.getReader();
  };

  const broken = async (cause: unknown): Promise<void> => {
    await reader?.cancel().catch(() => {});
    reader = undefined;
    if (resumes >= maxResumes) {
      throw new WharfError("NETWORK", `blob ${desc.digest}: connection lost at byte ${offset} of ${desc.size} after ${resumes} resumes: ${(cause as Error)?.message ?? cause}`, { cause });
    }
    resumes++;
  };

  const compare = (hex: string): void => {
    const got = `sha256:${hex}`;
    if (got !== desc.digest) throw new WharfError("DIGEST_MISMATCH", `${mismatch(desc.digest)} (got ${got})`);
  };
  const verify = (): void => {
    if (offset !== desc.size) throw new WharfError("DIGEST_MISMATCH", `${mismatch(desc.digest)}: expected ${desc.size} bytes, got ${offset}`);
    if (hashHere) compare(digester.hex());
  };

  /** The next verified-so-far chunk, or null at the verified end. */
  const next = async (): Promise<Uint8Array | null> => {
    for (;;) {
      if (finished) {
        await finished;
        return null;
      }
      if (!reader && offset === desc.size) {
        // Everything arrived before the consumer let go: nothing to ask for (a Range at the end is a 416).
        finished = Promise.resolve().then(verify);
        finished.catch(() => {});
        continue;
      }
      if (!reader) {
        try {
          await open();
        } catch (e) {
          if (e instanceof WharfError && e.code === "NETWORK") {
            await broken(e);
            continue;
          }
          throw e;
        }
      }
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader!.read();
      } catch (e) {
        await broken(e);
        continue;
      }
      if (result.done) {
        reader = undefined;
        if (offset < desc.size) {
          await broken(new Error("the body ended early"));
          continue;
        }
        finished = Promise.resolve().then(verify);
        finished.catch(() => {});
        continue;
      }
      let chunk = result.value;
      if (skip > 0) {
        const drop = Math.min(skip, chunk.byteLength);
        skip -= drop;
        chunk = chunk.subarray(drop);
        if (chunk.byteLength === 0) continue;
      }
      if (offset + chunk.byteLength > desc.size) {
        await reader?.cancel().catch(() => {});
        reader = undefined;
        const tooLong = new WharfError("DIGEST_MISMATCH", `${mismatch(desc.digest)}: more than the ${desc.size} bytes its descriptor names`);
        finished = Promise.reject(tooLong);
        finished.catch(() => {});
        throw tooLong;
      }
      if (hashHere) digester.update(chunk);
      offset += chunk.byteLength;
      onBytes?.(chunk.byteLength);
      return chunk;
    }
  };
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = lock.then(work, work);
    lock = run.catch(() => {});
    return run;
  };
  const nextRecorded = () =>
    serial(next).catch((e) => {
      lastError = e;
      throw e;
    });

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await nextRecorded();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
    cancel: () => serial(async () => {
      await reader?.cancel().catch(() => {});
      reader = undefined;
    }),
  }, { highWaterMark: 0 });

  return {
    stream,
    async settle() {
      if (lastError !== undefined && !(lastError instanceof WharfError && lastError.code === "DIGEST_MISMATCH")) throw lastError;
      if (!hashHere) {
        // Every byte went to the reader (and its end was checked): its digest stands for the blob.
        const taken = finished !== undefined && lastError === undefined ? await fromReader?.catch(() => undefined) : undefined;
        if (taken !== undefined) return compare(taken);
        if (lastError !== undefined) throw lastError; // the wrong size, found on the way
        await serial(async () => {
          await reader?.cancel().catch(() => {});
          [reader, offset, skip, finished, digester, hashHere, onBytes] = [undefined, 0, 0, undefined, options.digests.sha256(), true, undefined];
        });
      }
      while ((await nextRecorded()) !== null) {
        // draining: only the digest of these bytes matters now
      }
    },
    readerDigest(hex) {
      fromReader = hex;
      hex.catch(() => {});
    },
    get resumes() {
      return resumes;
    },
  };
}

export function blobPath(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`;
}

/**
 * Sends the GET of a whole blob now and leaves its body unread (the connection's flow control
 * holds the rest back) until `openBlob` takes it over; `cancel` drops it when it is not needed.
 */
export function startBlob(client: RegistryClient, repository: string, digest: string): { response: Promise<Response>; cancel(): void } {
  const response = client.request("GET", blobPath(repository, digest), { scopes: [pullScope(repository)], what: `blob ${digest}` });
  response.catch(() => {}); // a failure surfaces when the download is taken over
  return { response, cancel: () => void response.then((r) => r.body?.cancel(), () => {}) };
}

/** Reads a small blob (a config) whole, verified. */
export function readBlob(client: RegistryClient, repository: string, desc: Descriptor, options: BlobReadOptions, limit = 16 << 20): Promise<Uint8Array> {
  if (desc.size > limit) throw new WharfError("REGISTRY", `blob ${desc.digest}: ${desc.size} bytes is more than the ${limit} a config may have`);
  return readAll(openBlob(client, repository, desc, options).stream, limit, `blob ${desc.digest}`);
}
