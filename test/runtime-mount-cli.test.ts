import { test } from "uvu";
import * as assert from "uvu/assert";
import { errnoFromMountMessage, mountArgs, umountArgs } from "../src/runtime/mount-cli.ts";
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_RDONLY, MS_REC } from "../src/runtime/mount-flags.ts";

/** MS_UNBINDABLE: a flag mount(8) has no -o spelling for in this adapter. */
const MS_UNBINDABLE = 1 << 17;

test("mount flags become mount(8) options", () => {
  assert.equal(mountArgs("overlay", "/m", "overlay", 0, "lowerdir=/a:/b"), ["-n", "-i", "-t", "overlay", "-o", "lowerdir=/a:/b", "overlay", "/m"]);
  assert.equal(mountArgs("overlay", "/m", "overlay", MS_RDONLY | MS_NODEV, "lowerdir=/a:/b"), [
    "-n", "-i", "-t", "overlay", "-o", "ro,nodev,lowerdir=/a:/b", "overlay", "/m",
  ]);
  assert.equal(mountArgs("/src", "/m", "", MS_BIND | MS_REC, ""), ["-n", "-i", "--rbind", "/src", "/m"]);
  assert.throws(() => mountArgs("x", "/m", "tmpfs", MS_UNBINDABLE, ""), (e: Error & { code?: string }) => e.code === "UNSUPPORTED");
  assert.equal(umountArgs("/m", MNT_DETACH), ["-n", "-l", "/m"]);
  assert.equal(umountArgs("/m", 0), ["-n", "/m"]);
});

test("util-linux messages map back to errno names", () => {
  const cases: Array<[string, string]> = [
    ["mount: /m: special device overlay does not exist.", "ENOENT"],
    ["mount: /nope: mount point does not exist.", "ENOENT"],
    ["mount: /m: wrong fs type, bad option, bad superblock on overlay, missing codepage or helper program, or other error.", "EINVAL"],
    ["umount: /m: not mounted.", "EINVAL"],
    ["umount: /m: target is busy.", "EBUSY"],
    ["mount: /m: /m already mounted or mount point busy.", "EBUSY"],
    ["mount: /m: unknown filesystem type 'nofs'.", "ENODEV"],
    ["mount: /m: must be superuser to use mount.", "EPERM"],
    ["mount: /m: mount point is not a directory.", "ENOTDIR"],
    ["mount: /m: fsconfig system call failed: No such file or directory.", "ENOENT"],
    ["mount: /m: mount(2) system call failed: Too many levels of symbolic links.", "ELOOP"],
    ["something nobody has seen before", "EIO"],
  ];
  for (const [message, errno] of cases) assert.is(errnoFromMountMessage(message), errno, message);
});

test.run();
