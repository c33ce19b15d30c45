import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import { overlaySupport } from "../src/graphdriver/overlay2-support.ts";
import { parseMountInfo, mountContaining } from "../src/graphdriver/backing-fs.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort, Runtime } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const isRoot = rt.env?.uid() === 0;
const rootTest = isRoot ? test : test.skip;

let base = "";
let counter = 0;
test.before(async () => {
  base = await files.makeTempDir("wharf-registry-");
});
test.after(async () => {
  await files.remove(base, { recursive: true });
});
const freshRoot = async () => {
  const root = `${base}/root${++counter}`;
  await files.mkdir(root);
  return root;
};

async function expectDriverError(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  try {
    await promise;
    assert.unreachable("should have failed");
  } catch (e) {
    assert.ok(isWharfError(e, "DRIVER"), String(e));
    if (typeof message === "string") assert.is((e as Error).message, message);
    else assert.match((e as Error).message, message);
  }
}

rootTest("a fresh root gets overlay2 when it works here (as root)", async () => {
  const root = await freshRoot();
  const driver = await openDriver({ root, runtime: rt });
  assert.is(driver.name, "overlay2");
  const status = new Map(await driver.status());
  assert.is(status.get("Backing Filesystem"), "extfs");
  assert.is(status.get("Supports d_type"), "true");
  assert.is(status.get("Native Overlay Diff"), "true");
  assert.is(status.get("userxattr"), "false");
  // The support probe leaves nothing behind.
  assert.equal(await files.readdir(root), ["overlay2"]);
});

test("existing vfs state picks vfs: a non-empty <root>/vfs or <root>/image/vfs", async () => {
  const root = await freshRoot();
  await files.mkdir(`${root}/vfs/dir`, { recursive: true });
  assert.is((await openDriver({ root, runtime: rt })).name, "vfs");
  const other = await freshRoot();
  await files.mkdir(`${other}/image/vfs`, { recursive: true });
  await files.mkdir(`${other}/overlay2`); // empty: no state
  assert.is((await openDriver({ root: other, runtime: rt })).name, "vfs");
});

test("state of both drivers is an error asking to choose", async () => {
  const root = await freshRoot();
  await files.mkdir(`${root}/vfs/dir`, { recursive: true });
  await files.mkdir(`${root}/overlay2/l`, { recursive: true });
  await expectDriverError(
    openDriver({ root, runtime: rt }),
    `${root} contains several valid graph drivers: overlay2, vfs; clean up or choose one with --driver`,
  );
  // Naming one resolves it.
  assert.is((await openDriver({ root, name: "vfs", runtime: rt })).name, "vfs");
});

test("an unknown driver name lists the valid ones", async () => {
  await expectDriverError(openDriver({ root: await freshRoot(), name: "aufs", runtime: rt }), 'unknown storage driver "aufs"; valid drivers: overlay2, vfs');
});

test("overlay2 asked for where it cannot run says why; vfs is chosen without asking", async () => {
  // The same runtime without mounts and as an unprivileged user.
  const noMounts: Runtime = { ...rt, mounts: undefined, env: rt.env && { ...rt.env, uid: () => 1000 } };
  const root = await freshRoot();
  await expectDriverError(openDriver({ root, name: "overlay2", runtime: noMounts }), /storage driver overlay2 cannot be used at .*: the \w+ runtime cannot mount file systems/);
  const unprivileged: Runtime = { ...rt, env: rt.env && { ...rt.env, uid: () => 1000 } };
  const support = await overlaySupport(`${root}-unprivileged`, unprivileged);
  assert.equal(support, { supported: false, reason: "overlay mounts need root (running as uid 1000)" });
  assert.is((await openDriver({ root: await freshRoot(), runtime: noMounts })).name, "vfs");
});

test("mountinfo: the longest mount point containing the path wins; escapes are decoded", () => {
  const entries = parseMountInfo([
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
    "40 27 0:50 / /var/lib rw - xfs /dev/vdb rw",
    "41 27 0:51 / /var/lib\\040x rw - tmpfs tmpfs rw",
  ].join("\n"));
  assert.is(mountContaining(entries, "/var/lib/wharf")!.fsType, "xfs");
  assert.is(mountContaining(entries, "/var/lib x/wharf")!.fsType, "tmpfs");
  assert.is(mountContaining(entries, "/var/library")!.fsType, "ext4");
});

test.run();
