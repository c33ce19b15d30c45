// Containers' layers through the library, on overlay2 and vfs: layerdb/mounts records, the init
// layer's exact contents, mount counting, release down to the state before create, rmi conflicts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore, type Store } from "../src/store/root.ts";
import { createContainer } from "../src/container/create.ts";
import { removeContainer } from "../src/container/remove.ts";
import { deleteImage } from "../src/images/delete.ts";
import { isWharfError } from "../src/errors.ts";
import { loadedMultiRoot, wharf } from "./support/cli.ts";
import { dumpRoot } from "./support/tarexport-archive.ts";

const rt = await getRuntime();
const files = rt.files!;
const decoder = new TextDecoder();
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const TOP_CHAIN = "sha256:b770c0d9c8d49061d84fe2b3b8cc9baaaab1bb414b5f32909d186148fa61bf26";
const tmp = await files.makeTempDir("wharf-container-layers-");
const loadedRoot = (driver: string) => loadedMultiRoot(tmp, driver);

async function withOpen<T>(root: string, driver: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ root, driver, runtime: rt });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** `find -printf` of a tree: type, mode, owner, path (and link target). */
async function listTree(dir: string): Promise<string[]> {
  const r = await rt.processes!.run("find", [dir, "-mindepth", "1", "-printf", "%y %m %U:%G %P %l\n"]);
  return decoder.decode(r.stdout).trim().split("\n").map((l) => l.trimEnd()).sort();
}

const text = async (path: string) => decoder.decode(await files.readFile(path));

for (const driver of ["overlay2", "vfs"] as const) {
  test(`${driver}: create records layerdb/mounts with Docker's modes and fills the init layer`, async () => {
    const root = await loadedRoot(driver);
    await withOpen(root, driver, async (store) => {
      const c = await createContainer(store, "wharf-test/multi:1", { name: "box" });
      const dir = `${root}/image/${driver}/layerdb/mounts/${c.id}`;
      assert.is((await files.lstat(dir))!.mode, 0o755);
      const mountID = await text(`${dir}/mount-id`);
      assert.match(mountID, /^[0-9a-f]{64}$/);
      assert.is(await text(`${dir}/init-id`), `${mountID}-init`);
      assert.is(await text(`${dir}/parent`), TOP_CHAIN);
      for (const name of ["mount-id", "init-id", "parent"]) assert.is((await files.lstat(`${dir}/${name}`))!.mode, 0o644, name);
      const config = JSON.parse(await text(`${root}/containers/${c.id}/config.v2.json`));
      assert.is(config.ID, c.id);
      assert.is(config.Name, "/box");
      assert.is(config.Image, MULTI_ID);
      assert.is(config.Driver, driver);
      assert.is((await files.lstat(`${root}/containers/${c.id}/config.v2.json`))!.mode, 0o600);
      if (driver === "overlay2") {
        // The init step ran through the init layer's mount: only what the image lacks is new.
        const initDiff = await listTree(`${root}/overlay2/${mountID}-init/diff`);
        assert.equal(initDiff.filter((l) => !/^d .* (etc|dev)$/.test(l)), [
          "d 755 0:0 dev/pts", "d 755 0:0 dev/shm", "f 755 0:0 .dockerenv", "f 755 0:0 dev/console",
          "f 755 0:0 etc/hostname", "f 755 0:0 etc/hosts", "f 755 0:0 etc/resolv.conf", "l 777 0:0 etc/mtab /proc/mounts",
        ].concat((await hasDir(root, store, "proc")) ? [] : ["d 755 0:0 proc"]).concat((await hasDir(root, store, "sys")) ? [] : ["d 755 0:0 sys"]).sort());
        assert.ok(await files.lstat(`${root}/overlay2/${mountID}-init/committed`), "the init layer is committed under the read-write one");
        assert.is(await text(`${root}/overlay2/${mountID}/lower`).then((l) => l.split(":").length), 1 + (await text(`${root}/overlay2/${mountID}-init/lower`)).split(":").length);
      } else {
        const tree = await listTree(`${root}/vfs/dir/${mountID}-init`);
        for (const line of ["f 755 0:0 .dockerenv", "f 755 0:0 dev/console", "f 755 0:0 etc/hosts", "l 777 0:0 etc/mtab /proc/mounts", "d 755 0:0 dev/pts"]) {
          assert.ok(tree.includes(line), `${line} in ${tree.join("\n")}`);
        }
      }
      assert.equal(await store.layers.getRWLayer(c.id)!.changes(), []);
    });
  });

  test(`${driver}: mount twice needs umount twice; rm returns the root to its state before create`, async () => {
    const root = await loadedRoot(driver);
    const before = await dumpRoot(rt, root, driver);
    const id = await withOpen(root, driver, async (store) => {
      const c = await createContainer(store, "wharf-test/multi:1");
      assert.match(c.name, /^[a-z]+_[a-z]+$/);
      const layer = store.layers.getRWLayer(c.id)!;
      const path = await layer.mount();
      assert.is(await layer.mount(), path);
      assert.is(await layer.mountCount(), 2);
      await files.writeFile(`${path}/added.txt`, new TextEncoder().encode("new\n"));
      assert.equal(await layer.changes(), [{ path: "/added.txt", kind: "A" }]);
      await layer.unmount();
      assert.ok(await files.lstat(`${path}/added.txt`), "still mounted after one of two unmounts");
      await layer.unmount();
      if (driver === "overlay2") assert.is(await files.lstat(`${path}/added.txt`), null);
      try {
        await layer.unmount();
        assert.unreachable("a third unmount must fail");
      } catch (e) {
        assert.ok(isWharfError(e, "INVALID_ARGUMENT"), String(e));
      }
      return c.id;
    });
    await withOpen(root, driver, (store) => removeContainer(store, id));
    // rm returns the root to its state before create: no empty layerdb/mounts/, no `committed`
    // left on the image's top layer by the init layer that sat on it.
    assert.fixture(await dumpRoot(rt, root, driver), before);
    assert.equal(await files.readdir(`${root}/containers`), []);
  });

  test(`${driver}: rmi of an image a container uses is refused, forced it goes; rm then frees the layers`, async () => {
    const root = await loadedRoot(driver);
    await withOpen(root, driver, async (store) => {
      const c = await createContainer(store, "wharf-test/multi:1");
      const short = c.id.slice(0, 12);
      await assertRejects(deleteImage(store, "wharf-test/multi:1"),
        `conflict: unable to remove repository reference "wharf-test/multi:1" (must force) - container ${short} is using its referenced image 0cc52890bed9`);
      await assertRejects(deleteImage(store, "0cc5"), `conflict: unable to delete 0cc52890bed9 (must be forced) - image is being used by stopped container ${short}`);
      assert.equal(store.references.references(MULTI_ID).length, 1, "nothing changed");
      const records = await deleteImage(store, "wharf-test/multi:1", { force: true });
      assert.equal(records, [{ untagged: "wharf-test/multi:1" }, { deleted: MULTI_ID }]);
      assert.ok(store.layers.has(TOP_CHAIN), "the container's parent reference keeps the layers");
      const { deletedLayers } = await removeContainer(store, c.id);
      assert.is(deletedLayers.length, 4);
      assert.is(store.layers.list().length, 0);
    });
  });
}

async function hasDir(root: string, store: Store, name: string): Promise<boolean> {
  // Whether any of the image's layers has /<name>: then the init step leaves it alone.
  for (let l = store.images.topLayer(MULTI_ID); l; l = l.parent) {
    const dir = `${root}/overlay2/${l.cacheID}/diff/${name}`;
    if ((await files.lstat(dir))?.kind === "dir") return true;
  }
  return false;
}

async function assertRejects(work: Promise<unknown>, message: string): Promise<void> {
  try {
    await work;
  } catch (e) {
    assert.is((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

test.after(async () => {
  await files.remove(tmp, { recursive: true });
});
test.run();
