import { test } from "uvu";
import * as assert from "uvu/assert";
import { gzipEncode } from "../../src/compress/gzip-encode.ts";
import { portableGunzip } from "../../src/compress/gzip-decode.ts";
import { loadWasmDigests } from "../../src/hash/wasm.ts";
import { digestOf } from "../../src/hash/digest.ts";
import { readAll } from "../../src/io/bytes.ts";

/**
 * The proof that gzip output is reproducible: the same constant must come out on Node, Deno,
 * Bun and Chromium. Recorded once (level 6) from this corpus; any runtime giving other bytes fails.
 */
const EXPECTED_GZIP_SHA256 = "sha256:78872bc745b43353306060f3f87ef6d79aaf35c9b9e68c47554b445a6e4b0fa3";

/** 4 MiB: seeded xorshift noise interleaved with generated text (a tar-like mix). */
function corpus(): Uint8Array {
  const out = new Uint8Array(4 * 1024 * 1024);
  const words = ["layer", "docker", "wharf", "sha256", "overlay", "bin", "etc", "usr", "lib", "\n", "/", "=", " "];
  const encoder = new TextEncoder();
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let at = 0;
  while (at < out.length) {
    const noise = next() % 2 === 0;
    const run = 512 + (next() % 8192);
    for (let i = 0; i < run && at < out.length; ) {
      if (noise) {
        out[at++] = next() & 0xff;
        i++;
      } else {
        const word = encoder.encode(words[next() % words.length]!);
        const n = Math.min(word.length, out.length - at);
        out.set(word.subarray(0, n), at);
        at += n;
        i += n;
      }
    }
  }
  return out;
}

function pieces(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + size));
      offset += size;
    },
  });
}

const collect = (stream: ReadableStream<Uint8Array>) => readAll(stream);

test("gzip level 6 of the corpus hashes to the recorded constant", async () => {
  const digests = await loadWasmDigests();
  const data = corpus();
  const compressed = await collect(pieces(data, 100_000).pipeThrough(gzipEncode({ level: 6 })));
  assert.is(digestOf(digests, compressed), EXPECTED_GZIP_SHA256);
  const other = await collect(pieces(data, 1 << 20).pipeThrough(gzipEncode()));
  assert.equal(other, compressed, "default level is 6 and chunking does not matter");
  const back = await collect(pieces(compressed, 65536).pipeThrough(portableGunzip()));
  assert.is(back.length, data.length);
  assert.equal(back, data);
});

test.run();
