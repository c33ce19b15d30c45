import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadWasmDigests } from "../../src/hash/wasm.ts";
import { chainID, chainIDs, digestHex, digestOf, digestStream, digestTap, formatDigest, isDigest, parseDigest } from "../../src/hash/digest.ts";
import { isWharfError } from "../../src/errors.ts";
import { readAll } from "../../src/io/bytes.ts";

const text = (s: string) => new TextEncoder().encode(s);
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// diffID of an empty layer (1024 zero bytes), from the spec.
const EMPTY_LAYER = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test("wasm sha256 matches the FIPS 180-2 vectors", async () => {
  const digests = await loadWasmDigests();
  assert.is(digests.kind, "wasm");
  assert.is(digestOf(digests, new Uint8Array(0)), `sha256:${EMPTY_SHA256}`);
  assert.is(digestOf(digests, text("abc")), `sha256:${ABC_SHA256}`);
  assert.is(digestOf(digests, new Uint8Array(1024)), EMPTY_LAYER);
});

test("loadWasmDigests instantiates once", async () => {
  assert.is(await loadWasmDigests(), await loadWasmDigests());
});

test("interleaved wasm digesters keep separate state", async () => {
  const digests = await loadWasmDigests();
  const data = pseudoRandom(300_000, 7);
  const whole = digestOf(digests, data);
  const a = digests.sha256();
  const b = digests.sha256();
  const c = digests.sha256();
  for (let offset = 0; offset < data.length; offset += 777) {
    const chunk = data.subarray(offset, offset + 777);
    a.update(chunk);
    b.update(text("x"));
    c.update(chunk);
  }
  assert.is(`sha256:${a.hex()}`, whole);
  assert.is(`sha256:${c.hex()}`, whole);
  const xs = new Uint8Array(Math.ceil(data.length / 777)).fill(0x78);
  assert.is(`sha256:${b.hex()}`, digestOf(digests, xs));
  assert.throws(() => a.update(data), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
});

test("digestTap hashes what streams through without changing it", async () => {
  const digests = await loadWasmDigests();
  const data = pseudoRandom(100_000, 3);
  const tap = digestTap(digests);
  assert.throws(() => tap.result(), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < data.length; i += 4096) controller.enqueue(data.slice(i, i + 4096));
      controller.close();
    },
  });
  const passed = await readAll(source.pipeThrough(tap.stream));
  assert.equal(passed, data);
  assert.equal(tap.result(), { digest: digestOf(digests, data), size: data.length });
  const direct = await digestStream(digests, new Blob([data.slice()]).stream());
  assert.equal(direct, tap.result());
});

test("digest strings are validated", () => {
  const good = `sha256:${ABC_SHA256}`;
  assert.is(parseDigest(good), good);
  assert.ok(isDigest(good));
  assert.is(digestHex(good), ABC_SHA256);
  assert.is(formatDigest(ABC_SHA256), good);
  for (const bad of [ABC_SHA256, `sha512:${ABC_SHA256}`, `sha256:${ABC_SHA256.toUpperCase()}`, `sha256:${ABC_SHA256}0`, "sha256:"]) {
    assert.not.ok(isDigest(bad), bad);
    assert.throws(() => parseDigest(bad), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT") && e.message.includes(JSON.stringify(bad)));
  }
  assert.throws(() => parseDigest("md5:abc"), /unsupported algorithm "md5"/);
  assert.throws(() => formatDigest("xyz"), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
});

test("chain IDs match the layerdb directories real Docker made for multi.tar", async () => {
  const digests = await loadWasmDigests();
  // rootfs.diff_ids of the fixture's image config, and the layerdb names of its overlay2 root.
  const diffIDs = [
    "sha256:efc4091740f74c3d40168b57d2fa06a517dae6d39bd0666da2cd8652c2681614",
    "sha256:302a1f3f1605329b421021362645192adb6af194d1ac5e1ffae1ea959047f61e",
    "sha256:748dd657263220c0bd41bf4981b7817e364cafedece0cac779384021f78d561b",
    "sha256:fee91273c09920d11135132a5874f6a896a65bcdb7aac807235a9fa3760ef3d3",
  ];
  assert.equal(chainIDs(digests, diffIDs), [
    "sha256:efc4091740f74c3d40168b57d2fa06a517dae6d39bd0666da2cd8652c2681614",
    "sha256:bfbe4fe62483af28541e11999a0f7b1cd1880876b20d4539f27387948a2f310a",
    "sha256:8531e0d6f48f71d8fa566d540c8097ab96ec883995b84a41fb70e44c034051b2",
    "sha256:b770c0d9c8d49061d84fe2b3b8cc9baaaab1bb414b5f32909d186148fa61bf26",
  ]);
  assert.is(chainID(digests, diffIDs.slice(0, 2)), "sha256:bfbe4fe62483af28541e11999a0f7b1cd1880876b20d4539f27387948a2f310a");
  assert.throws(() => chainID(digests, []), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
  assert.throws(() => chainIDs(digests, ["sha256:nothex"]), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
});

test.run();
