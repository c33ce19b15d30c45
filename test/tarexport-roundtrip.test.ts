import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore, type Store } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { saveImages } from "../src/tarexport/save.ts";
import { readAll } from "../src/io/bytes.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import type { FilesPort } from "../src/ports.ts";
import { fixturePath, readFixture } from "./support/fixtures.ts";
import { dumpRoot } from "./support/tarexport-archive.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const BUSYBOX_ID = "sha256:76ad1c588306bbd43d48aebebd88755c506c34eaa39b09463d5d7f86fe7d3b9b";
const multiTar = await readFixture("docker-save/multi.tar");
const busyboxTar = await readFixture("docker-save/busybox.tar");
const expectedListing = new TextDecoder().decode(await readFixture("docker-save/multi.overlay2-root.txt"));

let base = "";
test.before(async () => {
  base = await files.makeTempDir("wharf-tarexport-");
});
test.after(async () => {
  await files.remove(base, { recursive: true });
});

async function withStore<T>(root: string, driver: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ root, driver, runtime: rt });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const save = async (store: Store, names: string[], format?: "legacy" | "oci") => readAll(await saveImages(store, names, { runtime: rt, format }));
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

for (const driver of ["overlay2", "vfs"]) {
  test(`${driver}: load multi.tar lists as Docker's root; save reproduces multi.tar and busybox.tar byte for byte`, async () => {
    const root = `${base}/${driver}-a`;
    let progressed = 0;
    await withStore(root, driver, async (store) => {
      const result = await loadImages(store, { path: fixturePath("docker-save/multi.tar") }, { runtime: rt, onProgress: (done) => (progressed = done) });
      assert.equal(result.messages, ["Loaded image: wharf-test/multi:1"]);
      assert.equal(result.images, [{ id: MULTI_ID, tags: ["wharf-test/multi:1"], layersRegistered: 4, layersReused: 0 }]);
    });
    assert.is(progressed, 1996800 + 5120 + 4096 + 5632); // every layer byte, counted once
    if (driver === "overlay2") assert.fixture(await dumpRoot(rt, root, driver), expectedListing);
    else assert.fixture(await dumpRoot(rt, root, driver), new TextDecoder().decode(await readFixture("docker-save/multi.vfs-root.txt")));
    // A new process (a fresh open) sees the same store, and saves Docker's bytes.
    await withStore(root, driver, async (store) => {
      assert.ok(sameBytes(await save(store, ["wharf-test/multi:1"]), multiTar), "multi.tar differs");
      assert.ok(sameBytes(await save(store, ["wharf-test/multi"]), multiTar), "save by name differs");
      const again = await loadImages(store, { path: fixturePath("docker-save/busybox.tar") }, { runtime: rt });
      assert.equal(again.images, [{ id: BUSYBOX_ID, tags: ["wharf-test/busybox:base"], layersRegistered: 0, layersReused: 1 }]);
      assert.ok(sameBytes(await save(store, [BUSYBOX_ID.slice(7, 19), "wharf-test/busybox:base"]), busyboxTar), "busybox.tar differs");
    });
  });
}

test("loading twice reuses every layer and says nothing about renaming", async () => {
  const root = `${base}/twice`;
  await withStore(root, "overlay2", async (store) => {
    await loadImages(store, { path: fixturePath("docker-save/multi.tar") }, { runtime: rt });
    const before = await dumpRoot(rt, root, "overlay2");
    let progressed = -1;
    const again = await loadImages(store, { path: fixturePath("docker-save/multi.tar") }, { runtime: rt, onProgress: (d) => (progressed = d) });
    assert.equal(again.images[0], { id: MULTI_ID, tags: ["wharf-test/multi:1"], layersRegistered: 0, layersReused: 4 });
    assert.equal(again.messages, ["Loaded image: wharf-test/multi:1"]);
    assert.is(progressed, -1, "no layer byte was read");
    assert.fixture(await dumpRoot(rt, root, "overlay2"), before);
  });
});

test("a tag that points elsewhere is moved, with Docker's message", async () => {
  const root = `${base}/move`;
  await withStore(root, "overlay2", async (store) => {
    await loadImages(store, { path: fixturePath("docker-save/busybox.tar") }, { runtime: rt });
    await store.references.addTag(parseNormalizedNamed("wharf-test/multi:1"), BUSYBOX_ID, false);
    const result = await loadImages(store, { path: fixturePath("docker-save/multi.tar") }, { runtime: rt });
    assert.equal(result.messages, [
      `The image wharf-test/multi:1 already exists, renaming the old one with ID ${BUSYBOX_ID} to empty string`,
      "Loaded image: wharf-test/multi:1",
    ]);
    assert.is(store.references.get(parseNormalizedNamed("wharf-test/multi:1")), MULTI_ID);
  });
});

test("OCI form: save, then load into a fresh root gives the same image ID and tags; stdin and gzip too", async () => {
  let oci: Uint8Array = new Uint8Array();
  await withStore(`${base}/oci-src`, "overlay2", async (store) => {
    await loadImages(store, { path: fixturePath("docker-save/multi.tar") }, { runtime: rt });
    await loadImages(store, { path: fixturePath("docker-save/busybox.tar") }, { runtime: rt });
    oci = await save(store, ["wharf-test/multi:1", "wharf-test/busybox:base"], "oci");
  });
  const names = (await (await import("./support/tarexport-archive.ts")).readMembers(oci)).map((m) => m.header.name as string);
  assert.ok(names.includes("oci-layout") && names.includes("index.json") && names.includes("manifest.json") && names.includes("repositories"));
  assert.ok(names.includes(`blobs/sha256/${MULTI_ID.slice(7)}`));
  const path = `${base}/oci.tar`;
  await files.writeFile(path, oci);
  const dstRoot = `${base}/oci-dst`;
  await withStore(dstRoot, "vfs", async (store) => {
    const result = await loadImages(store, { path }, { runtime: rt });
    assert.equal(result.images.map((i) => [i.id, i.tags]), [[MULTI_ID, ["wharf-test/multi:1"]], [BUSYBOX_ID, ["wharf-test/busybox:base"]]]);
    // and back to the legacy form, byte for byte
    assert.ok(sameBytes(await save(store, ["wharf-test/multi:1"]), multiTar));
  });
  const stdinRoot = `${base}/stdin`;
  await withStore(stdinRoot, "overlay2", async (store) => {
    const { gzip } = await import("./support/tarexport-archive.ts");
    const gz = await gzip(multiTar);
    const result = await loadImages(store, { stream: new Blob([gz as Uint8Array<ArrayBuffer>]).stream() }, { runtime: rt });
    assert.is(result.images[0]!.id, MULTI_ID);
    assert.equal(await files.readdir(`${stdinRoot}/tmp`), [], "the spool is removed");
  });
  assert.fixture(await dumpRoot(rt, stdinRoot, "overlay2"), expectedListing);
});

test.run();
