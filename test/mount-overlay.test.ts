import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { MNT_DETACH, MS_RDONLY } from "../src/runtime/mount-flags.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort, MountsPort } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const mounts = rt.mounts as MountsPort;
const enc = new TextEncoder();
const dec = new TextDecoder();

const isRoot = rt.env?.uid() === 0;
if (!isRoot) console.log(`mount-overlay: skipping root-only tests on ${rt.name}: not running as root (uid ${rt.env?.uid()})`);
const rootTest = isRoot ? test : test.skip;

let base = "";
test.before(async () => {
  base = await files.makeTempDir("wharf-overlay-");
});
test.after(async () => {
  await files.remove(base, { recursive: true });
});

/** lower/upper/work/merged under a fresh dir, as overlay2 lays out a container layer. */
async function layout(name: string) {
  const root = `${base}/${name}`;
  const dirs = { lower: `${root}/lower`, upper: `${root}/upper`, work: `${root}/work`, merged: `${root}/merged` };
  for (const d of Object.values(dirs)) await files.mkdir(d, { recursive: true });
  return dirs;
}

const sorted = async (dir: string) => (await files.readdir(dir)).sort();

rootTest("overlay merges lower and upper, honouring a whiteout and an opaque dir", async () => {
  const d = await layout("merge");
  await files.writeFile(`${d.lower}/keep.txt`, enc.encode("from lower"));
  await files.writeFile(`${d.lower}/gone.txt`, enc.encode("hidden by a whiteout"));
  await files.mkdir(`${d.lower}/opaque`);
  await files.writeFile(`${d.lower}/opaque/old.txt`, enc.encode("hidden by opacity"));
  await files.writeFile(`${d.upper}/new.txt`, enc.encode("from upper"));
  await files.mknod(`${d.upper}/gone.txt`, "char", 0o600, 0, 0);
  await files.mkdir(`${d.upper}/opaque`);
  await files.setxattr(`${d.upper}/opaque`, "trusted.overlay.opaque", enc.encode("y"));
  await files.writeFile(`${d.upper}/opaque/fresh.txt`, enc.encode("fresh"));

  await mounts.mount("overlay", d.merged, "overlay", 0, `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}`);
  try {
    assert.is(dec.decode(await files.readFile(`${d.merged}/keep.txt`)), "from lower");
    assert.is(dec.decode(await files.readFile(`${d.merged}/new.txt`)), "from upper");
    assert.is(await files.lstat(`${d.merged}/gone.txt`), null);
    assert.equal(await sorted(`${d.merged}/opaque`), ["fresh.txt"]);
    assert.equal(await sorted(d.merged), ["keep.txt", "new.txt", "opaque"]);
    // A write through merged/ lands in upper/ (copy-up), lower/ stays as it was.
    await files.writeFile(`${d.merged}/keep.txt`, enc.encode("changed"));
    assert.is(dec.decode(await files.readFile(`${d.upper}/keep.txt`)), "changed");
    assert.is(dec.decode(await files.readFile(`${d.lower}/keep.txt`)), "from lower");
  } finally {
    await mounts.unmount(d.merged);
  }
  assert.equal(await files.readdir(d.merged), []);
});

rootTest("read-only overlay of two lowers rejects writes with EROFS; lazy unmount", async () => {
  const d = await layout("readonly");
  await files.writeFile(`${d.lower}/a`, enc.encode("lower a"));
  await files.writeFile(`${d.upper}/a`, enc.encode("upper a"));
  // No upperdir: `upper` is just the nearer lower, as overlay2 mounts a committed layer.
  await mounts.mount("overlay", d.merged, "overlay", MS_RDONLY, `lowerdir=${d.upper}:${d.lower}`);
  try {
    assert.is(dec.decode(await files.readFile(`${d.merged}/a`)), "upper a");
    try {
      await files.writeFile(`${d.merged}/b`, enc.encode("x"));
      assert.unreachable("write to a read-only overlay succeeded");
    } catch (e) {
      assert.ok(isWharfError(e, "IO"), String(e));
      assert.is(e.errno, "EROFS");
    }
  } finally {
    await mounts.unmount(d.merged, MNT_DETACH);
  }
  assert.equal(await files.readdir(d.merged), []);
});

rootTest("a nonexistent lowerdir rejects with MOUNT / ENOENT", async () => {
  const d = await layout("missing-lower");
  try {
    await mounts.mount("overlay", d.merged, "overlay", 0, `lowerdir=${d.lower}-nope,upperdir=${d.upper},workdir=${d.work}`);
    await mounts.unmount(d.merged);
    assert.unreachable("mount with a missing lowerdir succeeded");
  } catch (e) {
    assert.ok(isWharfError(e, "MOUNT"), String(e));
    assert.is(e.errno, "ENOENT");
  }
});

rootTest("a nonexistent mount point rejects with MOUNT / ENOENT", async () => {
  const d = await layout("missing-target");
  try {
    await mounts.mount("overlay", `${d.merged}-nope`, "overlay", 0, `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}`);
    assert.unreachable("mount on a missing target succeeded");
  } catch (e) {
    assert.ok(isWharfError(e, "MOUNT"), String(e));
    assert.is(e.errno, "ENOENT");
  }
});

rootTest("an unknown overlay option rejects with MOUNT / EINVAL", async () => {
  const d = await layout("bad-option");
  try {
    await mounts.mount("overlay", d.merged, "overlay", 0, `lowerdir=${d.lower},bogus=1`);
    await mounts.unmount(d.merged);
    assert.unreachable("mount with a bogus option succeeded");
  } catch (e) {
    assert.ok(isWharfError(e, "MOUNT"), String(e));
    assert.is(e.errno, "EINVAL");
  }
});

rootTest("a busy mount point refuses to unmount with EBUSY", async () => {
  const d = await layout("busy");
  await files.writeFile(`${d.lower}/f`, enc.encode("held open"));
  // Without an upperdir the kernel wants at least two lowers.
  await mounts.mount("overlay", d.merged, "overlay", MS_RDONLY, `lowerdir=${d.upper}:${d.lower}`);
  const handle = await files.open(`${d.merged}/f`, "r");
  try {
    await mounts.unmount(d.merged);
    assert.unreachable("unmount of a busy overlay succeeded");
  } catch (e) {
    assert.ok(isWharfError(e, "MOUNT"), String(e));
    assert.is(e.errno, "EBUSY");
  } finally {
    await handle.close();
    await mounts.unmount(d.merged);
  }
});

rootTest("unmounting a directory that is not a mount point rejects with MOUNT / EINVAL", async () => {
  const d = await layout("not-mounted");
  try {
    await mounts.unmount(d.merged);
    assert.unreachable("unmount of a plain directory succeeded");
  } catch (e) {
    assert.ok(isWharfError(e, "MOUNT"), String(e));
    assert.is(e.errno, "EINVAL");
  }
});

test.run();
