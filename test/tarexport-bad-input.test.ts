import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore, type Store } from "../src/store/root.ts";
import { loadImages, type LoadInput } from "../src/tarexport/load.ts";
import { digestOf } from "../src/hash/digest.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort } from "../src/ports.ts";
import { fixturePath, readFixture } from "./support/fixtures.ts";
import { dumpRoot, fileMember, firstFileBodyOffset, gzip, readMembers, writeMembers, type Member } from "./support/tarexport-archive.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const enc = new TextEncoder();
const multi = await readMembers(await readFixture("docker-save/multi.tar"));
const BUSYBOX_ID = "sha256:76ad1c588306bbd43d48aebebd88755c506c34eaa39b09463d5d7f86fe7d3b9b";

let base = "";
let root = "";
let store: Store;
test.before(async () => {
  base = await files.makeTempDir("wharf-tarexport-bad-");
  root = `${base}/root`;
  store = await openStore({ root, driver: "overlay2", runtime: rt });
  // Something already in the store, which every failed load must leave exactly as it is.
  await loadImages(store, { path: fixturePath("docker-save/busybox.tar") }, { runtime: rt });
});
test.after(async () => {
  await store.close();
  await files.remove(base, { recursive: true });
});

let counter = 0;
async function writeArchive(name: string, members: Member[] | Uint8Array): Promise<string> {
  const path = `${base}/${counter++}-${name}`;
  await files.writeFile(path, members instanceof Uint8Array ? members : await writeMembers(members));
  return path;
}

const edit = (fn: (m: Member) => Member | null): Member[] => multi.map((m) => fn({ header: { ...m.header }, body: m.body })).filter((m): m is Member => m !== null);
const manifestOf = (): Array<{ Config: string; RepoTags: string[]; Layers: string[] }> =>
  JSON.parse(new TextDecoder().decode(multi.find((m) => m.header.name === "manifest.json")!.body));
const withManifest = (manifest: unknown): Member[] => edit((m) => (m.header.name === "manifest.json" ? fileMember("manifest.json", JSON.stringify(manifest)) : m));

/** Loads `input`, expects a one-line error matching `pattern`, and checks the store did not change. */
async function expectFailure(input: LoadInput, pattern: RegExp, code?: string): Promise<void> {
  const before = await dumpRoot(rt, root, "overlay2");
  try {
    await loadImages(store, input, { runtime: rt });
    assert.unreachable("load should fail");
  } catch (e) {
    assert.ok(isWharfError(e), `not a WharfError: ${String(e)}`);
    const message = (e as Error).message;
    assert.not.match(message, /\n/, "one line");
    assert.match(message, pattern);
    if (code) assert.is((e as { code: string }).code, code);
  }
  assert.fixture(await dumpRoot(rt, root, "overlay2"), before);
  const spool = await files.lstat(`${root}/tmp`);
  if (spool) assert.equal(await files.readdir(`${root}/tmp`), []);
}

test("missing and malformed manifest.json", async () => {
  await expectFailure({ path: await writeArchive("no-manifest.tar", edit((m) => (m.header.name === "manifest.json" ? null : m))) }, /holds neither manifest\.json nor an OCI index\.json/, "INVALID_ARCHIVE");
  await expectFailure({ path: await writeArchive("bad-json.tar", edit((m) => (m.header.name === "manifest.json" ? fileMember("manifest.json", "[{") : m))) }, /^invalid archive: manifest\.json is not valid JSON/);
  await expectFailure({ path: await writeArchive("not-array.tar", withManifest({ Config: "x" })) }, /manifest\.json is not a JSON array/);
  await expectFailure({ path: await writeArchive("no-config-field.tar", withManifest([{ Layers: [] }])) }, /manifest\.json entry 0 has no Config/);
});

test("missing config, missing layer file, layer count mismatch, bad tag", async () => {
  const [m] = manifestOf();
  await expectFailure({ path: await writeArchive("no-config.tar", edit((x) => (x.header.name === m!.Config ? null : x))) }, /config of manifest\.json entry 0 "0cc5.*\.json" not found in the archive/);
  await expectFailure({ path: await writeArchive("no-layer.tar", withManifest([{ ...m, Layers: [...m!.Layers.slice(0, 3), "nope/layer.tar"] }])) }, /layer 3 "nope\/layer\.tar" not found/);
  await expectFailure({ path: await writeArchive("count.tar", withManifest([{ ...m, Layers: m!.Layers.slice(0, 3) }])) }, /^invalid manifest, layers length mismatch: expected 3, got 4$/);
  await expectFailure({ path: await writeArchive("tag.tar", withManifest([{ ...m, RepoTags: ["Bad/Name:1"] }])) }, /^invalid tag "Bad\/Name:1": invalid reference format: repository name must be lowercase$/);
});

test("unsafe paths: a member climbing out, a manifest path climbing out", async () => {
  const [m] = manifestOf();
  await expectFailure({ path: await writeArchive("member.tar", [...multi, fileMember("../evil", "x")]) }, /member "\.\.\/evil" is outside the archive/);
  await expectFailure({ path: await writeArchive("config-path.tar", withManifest([{ ...m, Config: `../../${m!.Config}` }])) }, /path "\.\.\/\.\.\/0cc5.*" is outside the archive/);
  // An absolute path and a symlink resolve inside the archive, as moby's safePath does.
  const linked = withManifest([{ ...m, Config: `/cfg-link` }]);
  linked.push({ header: { name: "cfg-link", typeflag: "2", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: `../../../${m!.Config}` }, body: new Uint8Array() });
  const ok = await loadImages(store, { path: await writeArchive("link.tar", linked) }, { runtime: rt });
  assert.is(ok.images[0]!.id, "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd");
  for (const id of [ok.images[0]!.id]) {
    await store.references.delete((await import("../src/reference/reference.ts")).parseNormalizedNamed("wharf-test/multi:1"));
    await store.images.delete(id);
  }
});

test("truncated archive, corrupt gzip", async () => {
  const whole = await writeMembers(multi);
  await expectFailure({ path: await writeArchive("trunc.tar", whole.slice(0, 40_000)) }, /truncated/);
  const gz = await gzip(whole);
  const corrupt = gz.slice();
  for (let i = 2000; i < 2100; i++) corrupt[i] = corrupt[i]! ^ 0x55;
  await expectFailure({ path: await writeArchive("corrupt.tar.gz", corrupt) }, /gzip|deflate|invalid|corrupt/i);
  await expectFailure({ stream: new Blob([corrupt as Uint8Array<ArrayBuffer>]).stream() }, /gzip|deflate|invalid|corrupt/i);
});

test("a layer that does not match its diffID: Docker's message, nothing of it kept", async () => {
  const [m] = manifestOf();
  const target = m!.Layers[3]!;
  const flipped = await Promise.all(multi.map(async (x) => {
    if (x.header.name !== target) return x;
    const body = x.body.slice();
    const at = await firstFileBodyOffset(body);
    body[at] = body[at]! ^ 0x01;
    return { header: x.header, body };
  }));
  const expected = "sha256:fee91273c09920d11135132a5874f6a896a65bcdb7aac807235a9fa3760ef3d3";
  const bad = flipped.find((x) => x.header.name === target)!.body;
  const actual = digestOf(rt.digests, bad);
  await expectFailure({ path: await writeArchive("flip.tar", flipped) }, new RegExp(`^invalid diffID for layer 3: expected "${expected}", got "${actual}"$`), "DIGEST_MISMATCH");
});

test("an OCI image layout directory with gzip layers", async () => {
  const bb = await readMembers(await readFixture("docker-save/busybox.tar"));
  const manifest = JSON.parse(new TextDecoder().decode(bb.find((x) => x.header.name === "manifest.json")!.body))[0];
  const config = bb.find((x) => x.header.name === manifest.Config)!.body;
  const layer = await gzip(bb.find((x) => x.header.name === manifest.Layers[0])!.body);
  const dir = `${base}/layout`;
  await files.mkdir(`${dir}/blobs/sha256`, { recursive: true });
  const put = async (bytes: Uint8Array) => {
    const d = digestOf(rt.digests, bytes);
    await files.writeFile(`${dir}/blobs/sha256/${d.slice(7)}`, bytes);
    return { digest: d, size: bytes.length };
  };
  const cfg = await put(config);
  const lyr = await put(layer);
  const man = await put(enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...lyr }],
  })));
  await files.writeFile(`${dir}/oci-layout`, enc.encode('{"imageLayoutVersion":"1.0.0"}'));
  await files.writeFile(`${dir}/index.json`, enc.encode(JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...man, annotations: { "io.containerd.image.name": "docker.io/library/ocitest:1", "org.opencontainers.image.ref.name": "1" } }],
  })));
  const result = await loadImages(store, { path: dir }, { runtime: rt });
  assert.equal(result.images.map((i) => [i.id, i.tags, i.layersReused]), [[BUSYBOX_ID, ["ocitest:1"], 1]]);
  assert.equal(result.messages, ["Loaded image: ocitest:1"]);
  // a config blob that does not hash to its name is refused
  await files.writeFile(`${dir}/blobs/sha256/${cfg.digest.slice(7)}`, enc.encode("{}"));
  await expectFailure({ path: dir }, /image config blobs\/sha256\/76ad.* has digest sha256:[0-9a-f]{64}, expected sha256:76ad/);
});

test.run();
