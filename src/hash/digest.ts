/**
 * Digest helpers over any `DigesterFactory`: hashing bytes as they stream by, the
 * `sha256:<hex>` form Docker uses everywhere, and layer chain IDs.
 */
import type { Digester, DigesterFactory } from "../ports.ts";
import { WharfError } from "../errors.ts";

/** A validated `sha256:` + 64 lowercase hex string. */
export type Digest = `sha256:${string}`;

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const HEX_PATTERN = /^[0-9a-f]{64}$/;

export function formatDigest(hex: string): Digest {
  if (!HEX_PATTERN.test(hex)) throw new WharfError("INVALID_ARGUMENT", `invalid sha256 hex: ${JSON.stringify(hex)}`);
  return `sha256:${hex}`;
}

export function isDigest(value: string): value is Digest {
  return DIGEST_PATTERN.test(value);
}

/** Checks `value` is `sha256:` + 64 lowercase hex and returns it typed; throws otherwise. */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  const colon = value.indexOf(":");
  const reason = colon < 0
    ? "missing algorithm prefix"
    : value.slice(0, colon) !== "sha256"
    ? `unsupported algorithm ${JSON.stringify(value.slice(0, colon))}`
    : "expected 64 lowercase hex characters";
  throw new WharfError("INVALID_ARGUMENT", `invalid digest ${JSON.stringify(value)}: ${reason}`);
}

/** The 64 hex characters of a digest. */
export function digestHex(digest: string): string {
  return parseDigest(digest).slice("sha256:".length);
}

export function digestOf(digests: DigesterFactory, bytes: Uint8Array): Digest {
  const digester = digests.sha256();
  digester.update(bytes);
  return `sha256:${digester.hex()}`;
}

const encoder = new TextEncoder();

/** chainID(0) = diffID(0); chainID(n) = sha256 of `<chainID(n-1)> <diffID(n)>`. */
export function chainIDs(digests: DigesterFactory, diffIDs: readonly string[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffID of diffIDs) {
    const checked = parseDigest(diffID);
    const parent = chain[chain.length - 1];
    chain.push(parent === undefined ? checked : digestOf(digests, encoder.encode(`${parent} ${checked}`)));
  }
  return chain;
}

export function chainID(digests: DigesterFactory, diffIDs: readonly string[]): Digest {
  if (diffIDs.length === 0) throw new WharfError("INVALID_ARGUMENT", "chainID of an empty layer list");
  return chainIDs(digests, diffIDs)[diffIDs.length - 1]!;
}

/** What a hashing tap learned once its stream closed. */
export interface StreamDigest {
  digest: Digest;
  size: number;
}

/**
 * A pass-through that hashes every chunk on its way, so bytes are never read twice. Once the
 * stream has been read to its end, `result()` gives the digest and length; before that it throws
 * (a tap never hangs a caller on a stream that was aborted).
 */
export interface DigestTap {
  stream: TransformStream<Uint8Array, Uint8Array>;
  result(): StreamDigest;
}

export function digestTap(digests: DigesterFactory): DigestTap {
  const digester: Digester = digests.sha256();
  let size = 0;
  let finished: StreamDigest | undefined;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      digester.update(chunk);
      size += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      finished = { digest: `sha256:${digester.hex()}`, size };
    },
  });
  return {
    stream,
    result(): StreamDigest {
      if (finished === undefined) throw new WharfError("INVALID_ARGUMENT", "digest requested before the stream was read to its end");
      return finished;
    },
  };
}

/** Reads `stream` to its end and returns its digest and length (for sinks that only hash). */
export async function digestStream(digests: DigesterFactory, stream: ReadableStream<Uint8Array>): Promise<StreamDigest> {
  const digester = digests.sha256();
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    digester.update(value);
    size += value.byteLength;
  }
  return { digest: `sha256:${digester.hex()}`, size };
}
