/**
 * glibc through `bun:ffi`. Calls are synchronous so errno is read on the calling thread.
 * bun:ffi is imported dynamically so a browser bundle carries no top-level import of it.
 */
import type { Pointer } from "bun:ffi";
import type { Libc } from "./libc.ts";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

export async function openBunLibc(): Promise<Libc> {
  const { dlopen, read } = await import("bun:ffi");
  const { symbols } = dlopen("libc.so.6", {
    mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
    umount2: { args: ["ptr", "i32"], returns: "i32" },
    mknod: { args: ["ptr", "u32", "u64"], returns: "i32" },
    chmod: { args: ["ptr", "u32"], returns: "i32" },
    lchown: { args: ["ptr", "u32", "u32"], returns: "i32" },
    utimensat: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
    lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
    lgetxattr: { args: ["ptr", "ptr", "ptr", "u64"], returns: "i64" },
    llistxattr: { args: ["ptr", "ptr", "u64"], returns: "i64" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const n = (v: unknown) => Number(v as number | bigint);
  return {
    mount: (source, target, fstype, flags, data) => n(symbols.mount(source, target, fstype, BigInt(flags), data)),
    umount2: (target, flags) => n(symbols.umount2(target, flags)),
    mknod: (path, mode, dev) => n(symbols.mknod(path, mode, dev)),
    chmod: (path, mode) => n(symbols.chmod(path, mode)),
    lchown: (path, uid, gid) => n(symbols.lchown(path, uid >>> 0, gid >>> 0)),
    lutimens: (path, times) => n(symbols.utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW)),
    lsetxattr: (path, name, value, size, flags) => n(symbols.lsetxattr(path, name, value, BigInt(size), flags)),
    lgetxattr: (path, name, value, size) => n(symbols.lgetxattr(path, name, value, BigInt(size))),
    llistxattr: (path, list, size) => n(symbols.llistxattr(path, list, BigInt(size))),
    errno: () => read.i32(symbols.__errno_location() as Pointer, 0),
  };
}
