// openBlob with `hashedByReader`: the reader's digest verifies the blob; without one (the reader
// stopped early or failed) settle reads the blob again and names a corrupt blob by its digest.
// decompress with digests: the SHA-256 of its input, from the decoder or hashed on the way.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openBlob } from "../../src/distribution/blob-read.ts";
import type { RegistryClient } from "../../src/distribution/client.ts";
import { decompress } from "../../src/compress/detect.ts";
import { gzipEncode } from "../../src/compress/gzip-encode.ts";
import { readAll } from "../../src/io/bytes.ts";
import { producerDigest } from "../../src/io/stream-digest.ts";
import { getRuntime } from "../../src/runtime/index.ts";
import { isWharfError } from "../../src/errors.ts";

const rt = await getRuntime();
const hex = (data: Uint8Array) => {
  const d = rt.digests.sha256();
  d.update(data);
  return d.hex();
};
const BODY = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251);
const DESC = { mediaType: "application/octet-stream", digest: `sha256:${hex(BODY)}`, size: BODY.length };

/** A registry serving `served` for every blob GET, in 64 KiB chunks; it counts the GETs. */
function fakeClient(served: Uint8Array): RegistryClient & { gets: number } {
  const client = {
    gets: 0,
    async request() {
      client.gets++;
      let at = 0;
      return new Response(new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= served.length) return controller.close();
          controller.enqueue(served.slice(at, at + 65536));
          at += 65536;
        },
      }));
    },
  };
  return client as unknown as RegistryClient & { gets: number };
}

async function mismatch(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isWharfError(e) && e.code === "DIGEST_MISMATCH", String(e));
    return (e as Error).message;
  }
  throw new Error("expected a DIGEST_MISMATCH");
}

test("hashedByReader: the reader's digest verifies the blob, one GET", async () => {
  const client = fakeClient(BODY);
  const blob = openBlob(client, "r", DESC, { digests: rt.digests, hashedByReader: true });
  assert.equal(await readAll(blob.stream, 1 << 20, "blob"), BODY);
  blob.readerDigest(Promise.resolve(hex(BODY)));
  await blob.settle();
  await blob.settle();
  assert.is(client.gets, 1);
});

test("hashedByReader: a reader's digest that differs fails naming the blob", async () => {
  const blob = openBlob(fakeClient(BODY), "r", DESC, { digests: rt.digests, hashedByReader: true });
  await readAll(blob.stream, 1 << 20, "blob");
  blob.readerDigest(Promise.resolve(hex(new Uint8Array(1))));
  assert.match(await mismatch(blob.settle()), `blob verification failed for digest ${DESC.digest}`);
});

test("hashedByReader: a reader that stopped early has no digest: settle reads the blob again", async () => {
  const good = fakeClient(BODY);
  let blob = openBlob(good, "r", DESC, { digests: rt.digests, hashedByReader: true });
  let reader = blob.stream.getReader();
  await reader.read();
  await reader.cancel();
  blob.readerDigest(Promise.reject(new Error("the decoder failed")));
  await blob.settle();
  assert.is(good.gets, 2);

  const spoiled = BODY.slice();
  spoiled[150_000] ^= 0xff;
  blob = openBlob(fakeClient(spoiled), "r", DESC, { digests: rt.digests, hashedByReader: true });
  reader = blob.stream.getReader();
  await reader.read();
  await reader.cancel();
  assert.match(await mismatch(blob.settle()), `blob verification failed for digest ${DESC.digest}`);
});

test("hashedByReader: a blob longer than its descriptor fails on the way, without a second GET", async () => {
  const client = fakeClient(BODY);
  const blob = openBlob(client, "r", { ...DESC, size: 1000 }, { digests: rt.digests, hashedByReader: true });
  await readAll(blob.stream, 1 << 20, "blob").catch(() => {});
  assert.match(await mismatch(blob.settle()), "more than the 1000 bytes its descriptor names");
  assert.is(client.gets, 1);
});

for (const label of ["plain", "gzip"]) {
  test(`decompress with digests (${label}): the input's SHA-256, and the output's for the reader`, async () => {
    const input = label === "gzip" ? await readAll(new Blob([BODY]).stream().pipeThrough(gzipEncode({ level: 1 })), 1 << 20, "gz") : BODY;
    const decoded = await decompress(new Blob([input]).stream(), rt.compression, rt.digests);
    const out = decoded.stream;
    const produced = await producerDigest(out);
    assert.equal(await readAll(out, 1 << 20, "out"), BODY);
    assert.is(await decoded.inputDigest.hex, hex(input));
    if (produced) assert.is(await produced.hex, hex(BODY));
    else assert.is(label, "gzip", "a plain stream is hashed on its way, and that is its output's digest");
  });
}

test("decompress with digests: a reader that cancels gets a failed input digest, not a hang", async () => {
  const decoded = await decompress(new Blob([BODY]).stream(), rt.compression, rt.digests);
  await decoded.stream.cancel();
  await decoded.inputDigest.hex.then(() => assert.unreachable("resolved"), () => {});
});

test.run();
