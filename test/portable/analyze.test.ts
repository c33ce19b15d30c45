import { test } from "uvu";
import * as assert from "uvu/assert";
import { archiveBytesFromBlob, archiveBytesFromBytes, inspectArchive } from "../../src/analyze/inspect.ts";
import type { ArchiveReport, ImageReport, TreeNode } from "../../src/analyze/model.ts";
import { loadWasmDigests } from "../../src/hash/wasm.ts";
import { digestOf } from "../../src/hash/digest.ts";
import { gzipEncode } from "../../src/compress/index.ts";
import { readAll } from "../../src/io/bytes.ts";
import { TarReader } from "../../src/tar/reader.ts";
import type { CompressionPort } from "../../src/ports.ts";
import { readFixture } from "../support/fixtures.ts";
import { TarBuilder } from "../support/tar-builder.ts";

const digests = await loadWasmDigests();
const compression: CompressionPort = {}; // the portable codecs, as in a browser
const deps = { digests, compression };
const multi = await readFixture("docker-save/multi.tar");
const busybox = await readFixture("docker-save/busybox.tar");
const enc = (s: string) => new TextEncoder().encode(s);

const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const MULTI_DIFF_IDS = [
  "sha256:efc4091740f74c3d40168b57d2fa06a517dae6d39bd0666da2cd8652c2681614",
  "sha256:302a1f3f1605329b421021362645192adb6af194d1ac5e1ffae1ea959047f61e",
  "sha256:748dd657263220c0bd41bf4981b7817e364cafedece0cac779384021f78d561b",
  "sha256:fee91273c09920d11135132a5874f6a896a65bcdb7aac807235a9fa3760ef3d3",
];
const LAYER1 = "042f01703d7e4c0f5e1aca89371f31ca2337a9b8093a4ce47104dacf78587d64/layer.tar";
const LAYER3 = "3aba17599accc4153de322935ded2cd84d59f31bc71f742f37fe3c60f34bb287/layer.tar";

const inspect = (data: Uint8Array, label = "multi.tar") => inspectArchive(archiveBytesFromBytes(data, label), deps);

function node(root: TreeNode, path: string): TreeNode | undefined {
  let n: TreeNode | undefined = root;
  for (const part of path.split("/")) n = n?.children?.find((c) => c.name === part);
  return n;
}

/** Members of a tar (name → body offset and bytes). */
async function members(tar: Uint8Array): Promise<Map<string, { at: number; body: Uint8Array }>> {
  const out = new Map<string, { at: number; body: Uint8Array }>();
  const reader = new TarReader(tar, { copyChunks: true });
  for (let e = await reader.next(); e; e = await reader.next()) {
    const at = reader.position;
    out.set(e.header.name, { at, body: await readAll(e.stream()) });
  }
  return out;
}

/**
 * multi.tar by hand (tar -tvf of each layer.tar), dive's rules (leaves only; a whiteout of a file
 * counts 0; `.wh..wh..opq` is ignored; layer size = sum of header sizes):
 *   L0 busybox: bin/busybox 1982256, 14 symlinks 0, etc/ and tmp/ (empty dirs) 0
 *   L1 ADD:     data/deleteme.txt 4, data/opaque/old.txt 2, data/target.txt 2          → size 8
 *   L2 RUN rm:  data/.wh.deleteme.txt (0), data/opaque/.wh..wh..opq, data/opaque/new.txt 4 → size 4
 *   L3 RUN ln:  d…/e…/f.txt 5, data/hard 2, data/link (symlink) 0, data/target.txt (hard link) 0 → size 7
 * Paths in ≥ 2 layers: data/deleteme.txt (4 + 0 = 4), data/target.txt (2 + 0 = 2) → wasted 6.
 * Σ minimum = 1982256 + 0 + 2 + 0 + 4 + 5 + 2 + 0 = 1982269; Σ cumulative = 1982275.
 * userSize = 8 + 4 + 7 = 19; userWastedPercent = 6 / 19.
 */
function checkMultiImage(image: ImageReport, report: ArchiveReport): void {
  assert.is(image.id, MULTI_ID);
  assert.is(image.idVerified, true);
  assert.equal(image.tags, ["wharf-test/multi:1"]);
  assert.is(image.layers.length, 4);
  assert.equal(image.layers.map((i) => report.layers[i]!.diffID), MULTI_DIFF_IDS);
  assert.equal(image.history.map((h) => h.layer), [0, 1, 2, 3, undefined, undefined, undefined]);
  assert.equal(image.history.map((h) => h.emptyLayer), [false, false, false, false, true, true, true]);
  const e = image.efficiency;
  assert.is(e.score, 1982269 / 1982275);
  assert.is(e.wastedBytes, 6);
  assert.is(e.userSizeBytes, 19);
  assert.is(e.totalSizeBytes, 1982275);
  assert.is(e.userWastedPercent, 6 / 19);
  assert.equal(e.inefficiencies, [
    { path: "data/deleteme.txt", count: 2, cumulativeSize: 4 },
    { path: "data/target.txt", count: 2, cumulativeSize: 2 },
  ]);
}

test("multi.tar: image, digests, history and dive's figures", async () => {
  const report = await inspect(multi);
  assert.equal(report.errors, []);
  assert.is(report.kind, "docker-save");
  assert.is(report.images.length, 1);
  assert.is(report.layers.length, 4);
  for (const layer of report.layers) {
    assert.is(layer.error, undefined);
    assert.is(layer.diffIDVerified, true);
    assert.is(layer.storedDigestVerified, undefined); // legacy layer.tar names no digest
    assert.is(layer.compression, "none");
    assert.is(layer.tarSize, layer.storedSize);
  }
  assert.equal(report.layers.map((l) => l.entries.length), [17, 5, 5, 7]);
  checkMultiImage(report.images[0]!, report);
});

test("multi.tar: the whiteout and the opaque directory in layer 2, and the merged tree", async () => {
  const report = await inspect(multi);
  const image = report.images[0]!;
  const entries = report.layers[image.layers[2]!]!.entries;
  assert.ok(entries.some((e) => e.path === "data/deleteme.txt" && e.whiteout));
  assert.ok(entries.some((e) => e.path === "data/opaque" && e.opaque));
  const l2 = image.layerTrees![2]!;
  assert.is(node(l2, "data/deleteme.txt")?.change, "deleted");
  assert.is(node(l2, "data/deleteme.txt")?.entry?.whiteout, true);
  assert.is(node(l2, "data/opaque")?.change, "changed");
  assert.is(node(l2, "data/opaque/old.txt")?.change, "deleted"); // hidden by the opaque directory
  assert.is(node(l2, "data/opaque/new.txt")?.change, "added");
  assert.is(node(image.layerTrees![1]!, "data/opaque/old.txt")?.change, "added");
  const l3 = image.layerTrees![3]!;
  assert.is(node(l3, "data/target.txt")?.change, "changed");
  assert.is(node(l3, "data/target.txt")?.entry?.kind, "hardlink");
  assert.is(node(l3, "data/link")?.entry?.linkname, "/data/target.txt");

  const merged = image.merged;
  assert.equal(merged.children!.map((c) => c.name), ["bin", "data", "etc", "tmp"]);
  assert.is(node(merged, "data/deleteme.txt"), undefined);
  assert.equal(node(merged, "data/opaque")!.children!.map((c) => c.name), ["new.txt"]);
  assert.equal(node(merged, "data")!.children!.map((c) => c.name), ["dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", "hard", "link", "opaque", "target.txt"]);
  assert.is(node(merged, "bin/busybox")?.entry?.size, 1982256);
  assert.is(node(merged, "bin/busybox")?.layer, 0);
  assert.is(node(merged, "data/opaque/new.txt")?.layer, 2);
  assert.is(node(merged, "data/target.txt")?.layer, 3);
  assert.is(node(merged, "data/target.txt")?.change, "changed"); // the top layer changed it
  assert.is(node(merged, "bin/busybox")?.change, "unchanged");
  const deep = "data/" + "d".repeat(60) + "/" + "e".repeat(80) + "/f.txt";
  assert.is(node(merged, deep)?.entry?.size, 5);
});

test("busybox.tar: one verified layer, nothing wasted", async () => {
  const report = await inspect(busybox, "busybox.tar");
  assert.equal(report.errors, []);
  assert.is(report.layers.length, 1);
  const image = report.images[0]!;
  assert.is(image.id, "sha256:76ad1c588306bbd43d48aebebd88755c506c34eaa39b09463d5d7f86fe7d3b9b");
  assert.is(image.idVerified, true);
  assert.is(report.layers[0]!.diffIDVerified, true);
  assert.equal(image.efficiency, { score: 1, wastedBytes: 0, userSizeBytes: 0, userWastedPercent: 0, totalSizeBytes: 1982256, inefficiencies: [] });
});

test("a Blob reads the same as bytes (the browser path)", async () => {
  const report = await inspectArchive(archiveBytesFromBlob(new Blob([multi as Uint8Array<ArrayBuffer>]), "multi.tar"), deps);
  assert.equal(report.errors, []);
  checkMultiImage(report.images[0]!, report);
});

test("a byte flipped in a layer's file content: that layer's diffID fails, the others verify", async () => {
  const outer = await members(multi);
  const layer = outer.get(LAYER1)!;
  const inner = await members(layer.body);
  const copy = multi.slice();
  copy[layer.at + inner.get("data/deleteme.txt")!.at] ^= 0xff;
  const report = await inspect(copy);
  assert.equal(report.errors, []);
  const verified = report.layers.map((l) => l.diffIDVerified);
  assert.equal(verified, [true, false, true, true]);
  assert.is(report.layers[1]!.error, undefined); // the tar still parses: only the digest tells
  assert.is(report.layers[1]!.entries.length, 5);
  assert.is(report.layers[1]!.expectedDiffID, MULTI_DIFF_IDS[1]);
  assert.is.not(report.layers[1]!.diffID, MULTI_DIFF_IDS[1]);
  assert.is(report.images[0]!.idVerified, true); // the config is intact
  assert.is(report.images[0]!.efficiency.wastedBytes, 6);
});

test("a corrupt header in a layer: error on that layer only", async () => {
  const outer = await members(multi);
  const copy = multi.slice();
  copy[outer.get(LAYER3)!.at + 10] ^= 0xff; // inside the first header's name: checksum mismatch
  const report = await inspect(copy);
  assert.equal(report.errors, []);
  assert.equal(report.layers.map((l) => l.diffIDVerified), [true, true, true, false]);
  assert.match(report.layers[3]!.error ?? "", /checksum/);
  assert.not.match(report.layers[3]!.error!, /\n/);
  assert.is(report.images.length, 1);
});

test("a truncated archive is one clear error", async () => {
  const report = await inspect(multi.subarray(0, 1_000_000));
  assert.equal(report.images, []);
  assert.is(report.errors.length, 1);
  assert.match(report.errors[0]!, /truncated/);
  assert.match(report.errors[0]!, /multi\.tar/);
});

test("not an archive, and an empty file", async () => {
  const text = await inspect(enc("hello, this is not a tar file\n".repeat(40)), "notes.txt");
  assert.equal(text.images, []);
  assert.match(text.errors[0]!, /notes\.txt.*checksum/);
  const empty = await inspect(new Uint8Array(0), "empty.tar");
  assert.match(empty.errors[0]!, /empty/);
});

const gzip = (bytes: Uint8Array) => readAll(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(gzipEncode()));

test("a single gzip layer: kind layer, both digests", async () => {
  const body = (await members(multi)).get(LAYER1)!.body;
  const gz = await gzip(body);
  const report = await inspect(gz, "layer.tar.gz");
  assert.equal(report.errors, []);
  assert.is(report.kind, "layer");
  const layer = report.layers[0]!;
  assert.is(layer.compression, "gzip");
  assert.is(layer.diffID, MULTI_DIFF_IDS[1]);
  assert.is(layer.storedDigest, digestOf(digests, gz));
  assert.is(layer.storedSize, gz.length);
  assert.is(layer.tarSize, body.length);
  assert.is(report.images[0]!.id, "");
  assert.ok(node(report.images[0]!.merged, "data/opaque/old.txt"));
});

test("an OCI layout tar with gzip layers: every descriptor verified", async () => {
  const outer = await members(multi);
  const config = outer.get("0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd.json")!.body;
  const manifest = JSON.parse(new TextDecoder().decode(outer.get("manifest.json")!.body))[0] as { Layers: string[] };
  const tar = new TarBuilder().entry({ name: "blobs/", typeflag: "5" }).entry({ name: "blobs/sha256/", typeflag: "5" });
  const blob = (bytes: Uint8Array, mediaType: string) => {
    const digest = digestOf(digests, bytes);
    tar.file(`blobs/sha256/${digest.slice(7)}`, bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const layers = [];
  for (const path of manifest.Layers) layers.push(blob(await gzip(outer.get(path)!.body), "application/vnd.oci.image.layer.v1.tar+gzip"));
  const configDesc = blob(config, "application/vnd.oci.image.config.v1+json");
  const manifestBytes = enc(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: configDesc, layers }));
  const manifestDesc = blob(manifestBytes, "application/vnd.oci.image.manifest.v1+json");
  tar.file("oci-layout", '{"imageLayoutVersion":"1.0.0"}');
  tar.file("index.json", JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifestDesc, annotations: { "io.containerd.image.name": "wharf-test/multi:1" } }] }));
  const report = await inspect(tar.end().bytes(), "oci.tar");
  assert.equal(report.errors, []);
  assert.is(report.kind, "oci-layout");
  for (const layer of report.layers) {
    assert.is(layer.compression, "gzip");
    assert.is(layer.storedDigestVerified, true);
    assert.is(layer.diffIDVerified, true);
  }
  assert.is(report.images[0]!.manifestRaw, new TextDecoder().decode(manifestBytes));
  checkMultiImage(report.images[0]!, report);
});

test.run();
