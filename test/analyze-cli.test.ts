// `wharf analyze` through the command line: hand-built images whose dive figures are worked out
// by hand below, on an archive and on an image loaded into a store; --ci exit codes; JSON.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { digestOf } from "../src/hash/digest.ts";
import { tool, wharf } from "./support/cli.ts";
import { TarBuilder } from "./support/tar-builder.ts";

const rt = await getRuntime();
const files = rt.files!;
const tmp = await files.makeTempDir("wharf-analyze-cli-");
const enc = (s: string) => new TextEncoder().encode(s);
const fill = (n: number, c: string) => c.repeat(n);
const dir = (t: TarBuilder, name: string) => t.entry({ name, typeflag: "5", mode: 0o755 });

/** A legacy docker-save archive of `layers` (layer tars), one history step per layer. */
function dockerSave(layers: Uint8Array[], tag: string, corrupt?: { layer: number; at: number }): Uint8Array {
  const diffIDs = layers.map((l) => digestOf(rt.digests, l));
  const config = enc(JSON.stringify({
    architecture: "amd64", os: "linux",
    rootfs: { type: "layers", diff_ids: diffIDs },
    history: layers.map((_, i) => ({ created: "2024-01-01T00:00:00Z", created_by: `/bin/sh -c step ${i}` })),
  }));
  const id = digestOf(rt.digests, config).slice(7);
  const out = new TarBuilder();
  layers.forEach((l, i) => {
    const body = l.slice();
    if (corrupt?.layer === i) body[corrupt.at]! ^= 0xff;
    dir(out, `${i}/`).file(`${i}/layer.tar`, body);
  });
  out.file(`${id}.json`, config);
  out.file("manifest.json", JSON.stringify([{ Config: `${id}.json`, RepoTags: [tag], Layers: layers.map((_, i) => `${i}/layer.tar`) }]));
  return out.end().bytes();
}

/*
 * Image A (an archive):
 *   L0 etc/ + etc/base.conf 500 bytes                      layer size 500
 *   L1 app/ + app/data.bin 1000 bytes                      layer size 1000
 *   L2 app/ + app/data.bin rewritten with 3000 bytes       layer size 3000
 *   L3 app/ + app/.wh.data.bin (deletes it) + app/keep.txt 200 bytes   layer size 200
 * dive visits leaves only: app/data.bin is a leaf in L1 (1000), L2 (3000) and L3 (a whiteout of
 * a file counts 0) → cumulative 4000, minimum 0, count 3. etc/base.conf 500/500, app/keep.txt 200/200.
 *   score = Σ minimum / Σ cumulative = (500 + 0 + 200) / (500 + 4000 + 200) = 700 / 4700 = 0.148936…  → "14.89 %"
 *   wastedBytes = 4000 (the only path in ≥ 2 layers)                                                  → "4000 bytes (4.0 kB)"
 *   userSizeBytes = 1000 + 3000 + 200 = 4200; userWastedPercent = 4000 / 4200 = 0.952380…          → "95.24 %"
 */
const layersA = [
  dir(new TarBuilder(), "etc/").file("etc/base.conf", fill(500, "b")).end().bytes(),
  dir(new TarBuilder(), "app/").file("app/data.bin", fill(1000, "1")).end().bytes(),
  dir(new TarBuilder(), "app/").file("app/data.bin", fill(3000, "2")).end().bytes(),
  dir(new TarBuilder(), "app/").file("app/.wh.data.bin", "").file("app/keep.txt", fill(200, "k")).end().bytes(),
];
const archiveA = `${tmp}/a.tar`;
await files.writeFile(archiveA, dockerSave(layersA, "hand/a:1"));

/*
 * Image B (loaded into a store, analyzed by name):
 *   L0 opt/ opt/lib/ opt/lib/a.so 700, opt/lib/b.so 300, opt/tool 100     layer size 1100
 *   L1 opt/ + opt/.wh.lib (deletes the directory) + opt/tool 150            layer size 150
 *   L2 opt/ opt/lib/ + opt/lib/a.so 700 again                               layer size 700
 * Leaves: L0 a.so 700, b.so 300, tool 100; L1 the whiteout of opt/lib — a directory below, so it
 * counts the deleted subtree 0 + 700 + 300 = 1000 — and tool 150; L2 a.so 700 (opt/lib has a child).
 *   per path (cumulative/minimum/count): a.so 1400/700/2, b.so 300/300/1, tool 250/100/2, opt/lib 1000/1000/1
 *   score = (700 + 300 + 100 + 1000) / (1400 + 300 + 250 + 1000) = 2100 / 2950
 *   wastedBytes = 1400 + 250 = 1650; userSizeBytes = 150 + 700 = 850; userWastedPercent = 1650 / 850
 */
const layersB = [
  dir(dir(new TarBuilder(), "opt/"), "opt/lib/").file("opt/lib/a.so", fill(700, "a")).file("opt/lib/b.so", fill(300, "b")).file("opt/tool", fill(100, "t")).end().bytes(),
  dir(new TarBuilder(), "opt/").file("opt/.wh.lib", "").file("opt/tool", fill(150, "T")).end().bytes(),
  dir(dir(new TarBuilder(), "opt/"), "opt/lib/").file("opt/lib/a.so", fill(700, "A")).end().bytes(),
];
const archiveB = `${tmp}/b.tar`;
await files.writeFile(archiveB, dockerSave(layersB, "hand/b:1"));

test("a lone layer, zstd- and gzip-compressed: both digests computed, the same figures", async () => {
  const layer = dir(new TarBuilder(), "app/").file("app/data.bin", fill(1000, "1")).file("app/other.bin", fill(24, "o")).end().bytes();
  const diffID = digestOf(rt.digests, layer);
  for (const [ext, cmd] of [["zst", "zstd"], ["gz", "gzip"]] as const) {
    const stored = await tool(cmd, ["-c"], layer);
    const path = `${tmp}/lone.tar.${ext}`;
    await files.writeFile(path, stored);
    const r = await wharf(["analyze", "--format", "json", path]);
    assert.is(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { kind: string; images: Array<{ layers: Array<{ diffID: string; storedDigest: string; compression: string; entries: number }>; efficiency: { score: number; wastedBytes: number } }> };
    assert.is(json.kind, "layer");
    const [image] = json.images;
    assert.is(image!.layers.length, 1);
    assert.is(image!.layers[0]!.diffID, diffID);
    assert.is(image!.layers[0]!.storedDigest, digestOf(rt.digests, stored));
    assert.is(image!.layers[0]!.compression, ext === "zst" ? "zstd" : "gzip");
    assert.is(image!.layers[0]!.entries, 3);
    // One layer: every path once, nothing wasted, score 1.
    assert.is(image!.efficiency.score, 1);
    assert.is(image!.efficiency.wastedBytes, 0);
  }
});

test("archive: dive's summary with the hand-computed figures", async () => {
  const r = await wharf(["analyze", archiveA]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, "");
  assert.match(r.stdout, "Image: hand/a:1 (sha256:");
  assert.match(r.stdout, "\nAnalysis:\n  efficiency:        14.89 %\n  wastedBytes:       4000 bytes (4.0 kB)\n  userWastedPercent: 95.24 %\n");
  assert.match(r.stdout, "\nInefficient Files:\n  Count  Wasted Space  File Path\n  3      4.0 kB        /app/data.bin\n");
  assert.not.match(r.stdout, "Evaluation:");
  assert.is(r.stdout.match(/ ok {6}- {6}/g)?.length, 4); // four layers, diffIDs verified, nothing else to check
});

test("--ci: dive's defaults fail image A (exit 1), thresholds it meets pass (exit 0)", async () => {
  const fail = await wharf(["analyze", "--ci", archiveA]);
  assert.is(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, "\nEvaluation:\n  FAIL  highestUserWastedPercent (too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=0.95 > threshold=0.1))\n  SKIP  highestWastedBytes (disabled)\n  FAIL  lowestEfficiency (image efficiency is too low (efficiency=0.15 < threshold=0.9))\n\nFAIL [fail:2 skip:1]\n");
  // Exactly at the limits: 0.148936 ≥ 0.14, 4000 ≤ 4000 bytes, 0.952380 ≤ 0.96.
  const pass = await wharf(["analyze", "--ci", "--lowest-efficiency", "0.14", "--highest-wasted-bytes", "4000", "--highest-user-wasted-percent", "0.96", archiveA]);
  assert.is(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, "  PASS  highestUserWastedPercent (0.96)\n  PASS  highestWastedBytes (4000)\n  PASS  lowestEfficiency (0.14)\n\nPASS [pass:3]\n");
  // 4 kB = 4000 bytes still passes; 3.9kB = 3900 does not.
  assert.is((await wharf(["analyze", "--ci", "--lowest-efficiency", "off", "--highest-user-wasted-percent", "disabled", "--highest-wasted-bytes", "4 kB", archiveA])).code, 0);
  const bytes = await wharf(["analyze", "--ci", "--lowest-efficiency", "off", "--highest-user-wasted-percent", "disabled", "--highest-wasted-bytes", "3.9kB", archiveA]);
  assert.is(bytes.code, 1);
  assert.match(bytes.stdout, "FAIL  highestWastedBytes (too many bytes wasted (wasted-bytes=4000 > threshold=3900))");
});

test("--ci flag values are parsed strictly: a bad one is a usage error (exit 2)", async () => {
  for (const [flag, value] of [["--lowest-efficiency", "abc"], ["--lowest-efficiency", "1.5"], ["--highest-user-wasted-percent", "-0.1"], ["--highest-wasted-bytes", "12 parsecs"], ["--lowest-efficiency", "0.9x"]]) {
    const r = await wharf(["analyze", "--ci", flag!, value!, archiveA]);
    assert.is(r.code, 2, `${flag} ${value}: ${r.stderr}`);
    assert.match(r.stderr, `wharf: invalid ${flag} ${JSON.stringify(value)}`);
    assert.is(r.stdout, "");
  }
});

test("store image: --format json with the hand-computed figures and the layers' checks", async () => {
  const root = `${tmp}/root`;
  const load = await wharf(["--root", root, "--driver", "vfs", "load", "-i", archiveB]);
  assert.is(load.code, 0, load.stderr);
  const r = await wharf(["--root", root, "--driver", "vfs", "analyze", "--format", "json", "--ci", "hand/b:1"]);
  assert.is(r.code, 1, r.stderr); // 0.711864 < 0.9 and 1.94 > 0.1
  const out = JSON.parse(r.stdout);
  assert.is(out.kind, "store");
  assert.is(out.images.length, 1);
  const image = out.images[0];
  assert.equal(image.tags, ["hand/b:1"]);
  assert.equal(image.efficiency, {
    score: 2100 / 2950, wastedBytes: 1650, userSizeBytes: 850, userWastedPercent: 1650 / 850, totalSizeBytes: 1950,
    inefficiencies: [{ path: "opt/lib/a.so", count: 2, cumulativeSize: 1400 }, { path: "opt/tool", count: 2, cumulativeSize: 250 }],
  });
  assert.equal(image.layers.map((l: { diffID: string }) => l.diffID), layersB.map((l) => digestOf(rt.digests, l)));
  assert.equal(image.layers.map((l: { diffIDVerified: boolean }) => l.diffIDVerified), [true, true, true]);
  assert.equal(image.ci.rules.map((x: { status: string }) => x.status), ["FAIL", "SKIP", "FAIL"]);
  assert.is(image.ci.pass, false);
  // The archive it was loaded from reads the same.
  const fromArchive = JSON.parse((await wharf(["analyze", "--format", "json", archiveB])).stdout);
  assert.equal(fromArchive.images[0].efficiency, image.efficiency);
  assert.is(fromArchive.kind, "docker-save");
  assert.is(fromArchive.images[0].idVerified, true);
  // Docker ≥ 25's form (manifest.json into blobs/sha256/): the blob names are checked too.
  const saved = `${tmp}/b-oci.tar`;
  assert.is((await wharf(["--root", root, "--driver", "vfs", "save", "--format", "oci", "-o", saved, "hand/b:1"])).code, 0);
  const oci = JSON.parse((await wharf(["analyze", "--format", "json", saved])).stdout);
  assert.is(oci.kind, "docker-save");
  assert.equal(oci.images[0].layers.map((l: { storedDigestVerified: boolean }) => l.storedDigestVerified), [true, true, true]);
  assert.equal(oci.images[0].efficiency, image.efficiency);
});

test("a corrupt layer: the report, that layer marked, one error line, exit 1", async () => {
  const path = `${tmp}/a-corrupt.tar`;
  await files.writeFile(path, dockerSave(layersA, "hand/a:1", { layer: 2, at: 1024 + 10 })); // inside data.bin's 3000 bytes
  const r = await wharf(["analyze", "--format", "json", path]);
  assert.is(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.images[0].layers.map((l: { diffIDVerified: boolean }) => l.diffIDVerified), [true, true, false, true]);
  assert.is(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /^wharf: .*a-corrupt\.tar: layer 2\/layer\.tar: diffID sha256:[0-9a-f]{64} does not match the config's sha256:[0-9a-f]{64}\n$/);
});

test("bad inputs: a missing file, not an archive, a truncated archive, an unknown image", async () => {
  const missing = await wharf(["analyze", `${tmp}/nope.tar`]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /^wharf: open .*nope\.tar: no such file\n$/);
  const notes = `${tmp}/notes.txt`;
  await files.writeFile(notes, enc("not a tar\n".repeat(100)));
  const text = await wharf(["analyze", notes]);
  assert.is(text.code, 1);
  assert.match(text.stderr, /^wharf: .*notes\.txt: invalid archive .*checksum.*\n$/);
  const cut = `${tmp}/cut.tar`;
  await files.writeFile(cut, (await files.readFile(archiveA)).subarray(0, 3000));
  const truncated = await wharf(["analyze", cut]);
  assert.is(truncated.code, 1);
  assert.match(truncated.stderr, /^wharf: .*cut\.tar: .*truncated.*\n$/);
  const unknown = await wharf(["--root", `${tmp}/empty-root`, "--driver", "vfs", "analyze", "no/such:image"]);
  assert.is(unknown.code, 1);
  assert.is(unknown.stderr, "wharf: No such image: no/such:image\n");
});

test.after(() => files.remove(tmp, { recursive: true }));

test.run();
