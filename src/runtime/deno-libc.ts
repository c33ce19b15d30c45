/** glibc through `Deno.dlopen`. Calls are synchronous so errno is read on the calling thread. */
import type { DenoApi, DenoPointer } from "./deno-api.ts";
import type { Libc } from "./libc.ts";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

export function openDenoLibc(deno: DenoApi): Libc {
  const { symbols } = deno.dlopen("libc.so.6", {
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" },
    chmod: { parameters: ["buffer", "u32"], result: "i32" },
    lchown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
    utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
    lsetxattr: { parameters: ["buffer", "buffer", "buffer", "u64", "i32"], result: "i32" },
    lgetxattr: { parameters: ["buffer", "buffer", "buffer", "u64"], result: "isize" },
    llistxattr: { parameters: ["buffer", "buffer", "u64"], result: "isize" },
    __errno_location: { parameters: [], result: "pointer" },
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
    errno: () => new deno.UnsafePointerView(symbols.__errno_location() as DenoPointer).getInt32(),
  };
}
