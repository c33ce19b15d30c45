import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { ReferenceStore } from "../src/reference/store.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort } from "../src/ports.ts";
import type { Digest } from "../src/hash/digest.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const dec = new TextDecoder();
const ref = parseNormalizedNamed;

const ID_A = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd" as Digest;
const ID_B = `sha256:${"b".repeat(64)}` as Digest;
const MANIFEST = `sha256:${"c".repeat(64)}`;

let dir = "";
test.before(async () => {
  dir = await files.makeTempDir("wharf-refstore-");
});
test.after(async () => {
  await files.remove(dir, { recursive: true });
});

const text = async (path: string) => dec.decode(await files.readFile(path));

test("opening creates the file as dockerd does; bytes match the fixture's repositories.json", async () => {
  const path = `${dir}/a/image/overlay2/repositories.json`;
  const store = await ReferenceStore.open(files, path);
  assert.is(await text(path), '{"Repositories":{}}');
  assert.is((await files.lstat(path))?.mode, 0o600);
  assert.is(await store.addTag(ref("wharf-test/multi:1"), ID_A, false), undefined);
  // the line of multi.overlay2-root.txt, byte for byte
  assert.is(await text(path), '{"Repositories":{"wharf-test/multi":{"wharf-test/multi:1":"sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd"}}}');
  assert.is((await files.lstat(path))?.mode, 0o600);
});

test("keys sorted, digests and tags side by side, familiar names", async () => {
  const path = `${dir}/b.json`;
  const store = await ReferenceStore.open(files, path);
  await store.addTag(ref("zeta"), ID_B, false);
  await store.addTag(ref("docker.io/library/busybox:1"), ID_A, false);
  await store.addDigest(ref(`busybox:1@${MANIFEST}`), ID_A);
  await store.addTag(ref("localhost:5000/x/y:t"), ID_B, false);
  assert.is(
    await text(path),
    `{"Repositories":{"busybox":{"busybox:1":"${ID_A}","busybox@${MANIFEST}":"${ID_A}"},` +
      `"localhost:5000/x/y":{"localhost:5000/x/y:t":"${ID_B}"},"zeta":{"zeta:latest":"${ID_B}"}}}`,
  );
  assert.equal(store.references(ID_A).map((r) => r.familiarString()), ["busybox:1", `busybox@${MANIFEST}`]);
  assert.equal(store.referencesByName(ref("busybox")).map((a) => a.id), [ID_A, ID_A]);
  assert.is(store.get(ref("zeta")), ID_B);
  assert.equal(store.list().map((a) => a.ref.toString()), [
    "docker.io/library/busybox:1", `docker.io/library/busybox@${MANIFEST}`, "docker.io/library/zeta:latest", "localhost:5000/x/y:t",
  ]);
});

test("moving a tag needs force and returns the old ID; digests never move", async () => {
  const store = await ReferenceStore.open(files, `${dir}/c.json`);
  await store.addTag(ref("x"), ID_A, false);
  assert.is(await store.addTag(ref("x:latest"), ID_A, false), undefined); // same ID: no-op
  try {
    await store.addTag(ref("x"), ID_B, false);
    assert.unreachable("should conflict");
  } catch (e) {
    assert.ok(isWharfError(e, "CONFLICT"));
    assert.is((e as Error).message, `Conflict: Tag docker.io/library/x:latest is already set to image ${ID_A}, if you want to replace it, please use -f option`);
  }
  assert.is(await store.addTag(ref("x"), ID_B, true), ID_A);
  assert.is(store.get(ref("x")), ID_B);
  assert.equal(store.references(ID_A), []);
  await store.addDigest(ref(`x@${MANIFEST}`), ID_A);
  try {
    await store.addDigest(ref(`x@${MANIFEST}`), ID_B);
    assert.unreachable("should refuse");
  } catch (e) {
    assert.is((e as Error).message, `Cannot overwrite digest ${MANIFEST}`);
  }
  try {
    await store.addTag(ref(`x@${MANIFEST}`), ID_B, true);
    assert.unreachable("should refuse");
  } catch (e) {
    assert.is((e as Error).message, "refusing to create a tag with a digest reference");
  }
});

test("delete, get of a missing reference, and a second opener sees every change", async () => {
  const path = `${dir}/d.json`;
  const one = await ReferenceStore.open(files, path);
  const two = await ReferenceStore.open(files, path);
  await one.addTag(ref("p:1"), ID_A, false);
  await two.addTag(ref("q:1"), ID_B, false); // re-reads first: p:1 is kept
  const three = await ReferenceStore.open(files, path);
  assert.equal(three.list().map((a) => a.ref.familiarString()), ["p:1", "q:1"]);
  assert.is(await three.delete(ref("p:1")), true);
  assert.is(await three.delete(ref("p:1")), false);
  assert.is(await text(path), `{"Repositories":{"q":{"q:1":"${ID_B}"}}}`);
  try {
    three.get(ref("p:1"));
    assert.unreachable("should be missing");
  } catch (e) {
    assert.ok(isWharfError(e, "NOT_FOUND"));
    assert.is((e as Error).message, "reference does not exist");
  }
});

test("references and list follow every change: add, move, delete, a failed change, another process's write", async () => {
  const path = `${dir}/index/repositories.json`;
  const store = await ReferenceStore.open(files, path);
  const strings = (refs: { toString(): string }[]) => refs.map((r) => r.toString());
  assert.equal(store.references(ID_A), []);
  await store.addTag(ref("zeta:1"), ID_A, false);
  await store.addTag(ref("alpha:1"), ID_A, false);
  await store.addTag(ref("alpha:2"), ID_B, false);
  assert.equal(strings(store.references(ID_A)), ["docker.io/library/alpha:1", "docker.io/library/zeta:1"]);
  store.references(ID_A).pop(); // a caller's copy: the store's own list is not touched
  assert.is(store.references(ID_A).length, 2);
  await store.addTag(ref("zeta:1"), ID_B, true);
  assert.equal(strings(store.references(ID_A)), ["docker.io/library/alpha:1"]);
  assert.equal(strings(store.references(ID_B)), ["docker.io/library/alpha:2", "docker.io/library/zeta:1"]);
  await store.addTag(ref("alpha:1"), ID_B, false).catch(() => undefined); // refused: no force
  assert.equal(strings(store.references(ID_A)), ["docker.io/library/alpha:1"]);
  assert.ok(await store.delete(ref("alpha:1")));
  assert.equal(store.references(ID_A), []);
  const other = await ReferenceStore.open(files, path);
  await other.addTag(ref("beta"), ID_A, false);
  await store.refresh();
  assert.equal(strings(store.references(ID_A)), ["docker.io/library/beta:latest"]);
  assert.equal(strings(store.list().map((a) => a.ref)), ["docker.io/library/alpha:2", "docker.io/library/beta:latest", "docker.io/library/zeta:1"]);
});

test("entries that do not parse are skipped on load; concurrent changes in one process all land", async () => {
  const path = `${dir}/e.json`;
  await files.writeFile(path, new TextEncoder().encode(`{"Repositories":{"ok":{"ok:1":"${ID_A}","Bad Ref":"${ID_A}","ok:2":"nope"}}}`));
  const store = await ReferenceStore.open(files, path);
  assert.equal(store.list().map((a) => a.ref.familiarString()), ["ok:1"]);
  await Promise.all(["t1", "t2", "t3", "t4"].map((t) => store.addTag(ref(`ok:${t}`), ID_B, false)));
  assert.equal(store.list().map((a) => a.ref.familiarString()), ["ok:1", "ok:t1", "ok:t2", "ok:t3", "ok:t4"]);
});

test.run();
