/**
 * What the FFI adapters (Deno, Bun) call in glibc, behind one small interface so the errno
 * handling, buffer sizing and C-string encoding are written once. Each call returns the libc
 * result; on -1 `errno()` must be read before any other libc call on this thread.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { MountsPort } from "../ports.ts";
import { ENODATA, ERANGE, errnoName } from "./errno.ts";

export interface Libc {
  mount(source: Uint8Array, target: Uint8Array, fstype: Uint8Array, flags: number, data: Uint8Array): number;
  umount2(target: Uint8Array, flags: number): number;
  mknod(path: Uint8Array, mode: number, dev: bigint): number;
  chmod(path: Uint8Array, mode: number): number;
  lchown(path: Uint8Array, uid: number, gid: number): number;
  /** utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW); `times` = two struct timespec. */
  lutimens(path: Uint8Array, times: BigInt64Array): number;
  lsetxattr(path: Uint8Array, name: Uint8Array, value: Uint8Array, size: number, flags: number): number;
  lgetxattr(path: Uint8Array, name: Uint8Array, value: Uint8Array, size: number): number;
  llistxattr(path: Uint8Array, list: Uint8Array, size: number): number;
  /** openat(2); `mode` only matters with O_CREAT. */
  openat(dirfd: number, path: Uint8Array, flags: number, mode?: number): number;
  write(fd: number, data: Uint8Array, count: number): number;
  fchown(fd: number, uid: number, gid: number): number;
  fchmod(fd: number, mode: number): number;
  /** futimens(2); `times` = two struct timespec. */
  futimens(fd: number, times: BigInt64Array): number;
  pread(fd: number, into: Uint8Array, count: number, position: number): number;
  close(fd: number): number;
  errno(): number;
}

/** A Libc that opens the real one on first use: a command that never mounts or mknods never dlopens. */
export function lazyLibc(open: () => Libc): Libc {
  let real: Libc | undefined;
  const get = () => (real ??= open());
  return {
    mount: (...a) => get().mount(...a),
    umount2: (...a) => get().umount2(...a),
    mknod: (...a) => get().mknod(...a),
    chmod: (...a) => get().chmod(...a),
    lchown: (...a) => get().lchown(...a),
    lutimens: (...a) => get().lutimens(...a),
    lsetxattr: (...a) => get().lsetxattr(...a),
    lgetxattr: (...a) => get().lgetxattr(...a),
    llistxattr: (...a) => get().llistxattr(...a),
    openat: (...a) => get().openat(...a),
    write: (...a) => get().write(...a),
    fchown: (...a) => get().fchown(...a),
    fchmod: (...a) => get().fchmod(...a),
    futimens: (...a) => get().futimens(...a),
    pread: (...a) => get().pread(...a),
    close: (...a) => get().close(...a),
    errno: () => get().errno(),
  };
}

/** C types of the signatures below, named once and mapped to each FFI's own type names. */
export type CType = "ptr" | "i32" | "u32" | "u64" | "ssize";

/** The glibc functions wharf calls, shared by the Deno and Bun adapters. */
export const LIBC_SIGNATURES = {
  mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  umount2: { args: ["ptr", "i32"], returns: "i32" },
  mknod: { args: ["ptr", "u32", "u64"], returns: "i32" },
  chmod: { args: ["ptr", "u32"], returns: "i32" },
  lchown: { args: ["ptr", "u32", "u32"], returns: "i32" },
  utimensat: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
  lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
  lgetxattr: { args: ["ptr", "ptr", "ptr", "u64"], returns: "ssize" },
  llistxattr: { args: ["ptr", "ptr", "u64"], returns: "ssize" },
  openat: { args: ["i32", "ptr", "i32", "u32"], returns: "i32" },
  write: { args: ["i32", "ptr", "u64"], returns: "ssize" },
  fchown: { args: ["i32", "u32", "u32"], returns: "i32" },
  fchmod: { args: ["i32", "u32"], returns: "i32" },
  futimens: { args: ["i32", "ptr"], returns: "i32" },
  pread: { args: ["i32", "ptr", "u64", "u64"], returns: "ssize" },
  close: { args: ["i32"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
} as const satisfies Record<string, { args: readonly CType[]; returns: CType }>;

export type LibcSymbols = Record<keyof typeof LIBC_SIGNATURES, (...args: unknown[]) => unknown>;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
// The same on x86_64 and aarch64.
const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_CLOEXEC = 0o2000000;
const EINTR = 4;

/** Binds the raw FFI symbols to `Libc`; `readErrno` reads the int behind `__errno_location()`. */
export function bindLibc(symbols: LibcSymbols, readErrno: (errnoPointer: unknown) => number): Libc {
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
    openat: (dirfd, path, flags, mode = 0) => n(symbols.openat(dirfd, path, flags, mode)),
    write: (fd, data, count) => n(symbols.write(fd, data, count)),
    fchown: (fd, uid, gid) => n(symbols.fchown(fd, uid >>> 0, gid >>> 0)),
    fchmod: (fd, mode) => n(symbols.fchmod(fd, mode)),
    futimens: (fd, times) => n(symbols.futimens(fd, times)),
    // Plain numbers for the 64-bit arguments: both FFIs take them, and reads are hot.
    pread: (fd, into, count, position) => n(symbols.pread(fd, into, count, position)),
    close: (fd) => n(symbols.close(fd)),
    errno: () => readErrno(symbols.__errno_location()),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** NUL-terminated UTF-8 for a `const char *` argument. */
export function cString(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  if (bytes.includes(0)) throw new WharfError("INVALID_ARGUMENT", `string contains NUL: ${JSON.stringify(s)}`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** glibc's makedev(): 12+20 bits of major, 8+24 bits of minor. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export function check(libc: Libc, result: number, code: WharfErrorCode, what: string): void {
  if (result !== -1) return;
  const errno = errnoName(libc.errno());
  throw new WharfError(code, `${what}: ${errno}`, { errno });
}

/** The process working directory, for mounts with relative paths (`MountsPort.mount` `cwd`). */
export interface WorkingDirectory {
  cwd(): string;
  chdir(path: string): void;
}

export function libcMounts(libc: Libc, workingDirectory: WorkingDirectory): MountsPort {
  return {
    async mount(source, target, fstype, flags, data, options) {
      const args = [cString(source), cString(target), cString(fstype), flags, cString(data)] as const;
      if (options?.cwd === undefined) {
        check(libc, libc.mount(...args), "MOUNT", `mount ${fstype} on ${target}`);
        return;
      }
      // chdir, mount and chdir back run synchronously, so no other task sees the borrowed cwd.
      const previous = workingDirectory.cwd();
      workingDirectory.chdir(options.cwd);
      let r: number;
      let errno = 0;
      try {
        r = libc.mount(...args);
        if (r === -1) errno = libc.errno();
      } finally {
        workingDirectory.chdir(previous);
      }
      if (r === -1) {
        const name = errnoName(errno);
        throw new WharfError("MOUNT", `mount ${fstype} on ${target} (in ${options.cwd}): ${name}`, { errno: name });
      }
    },
    async unmount(target, flags = 0) {
      check(libc, libc.umount2(cString(target), flags), "MOUNT", `umount ${target}`);
    },
  };
}

/** The file operations Node's and Deno's own APIs lack, done through libc. */
export function libcFileOps(libc: Libc) {
  return {
    async mknod(path: string, kind: "char" | "block" | "fifo", mode: number, major: number, minor: number): Promise<void> {
      const type = kind === "char" ? S_IFCHR : kind === "block" ? S_IFBLK : S_IFIFO;
      const p = cString(path);
      check(libc, libc.mknod(p, type | (mode & 0o7777), makedev(major, minor)), "IO", `mknod ${path}`);
      // mknod(2) masks the mode with the umask; the port promises the exact bits (as `mknod -m`).
      check(libc, libc.chmod(p, mode & 0o7777), "IO", `chmod ${path}`);
    },
    async lchown(path: string, uid: number, gid: number): Promise<void> {
      check(libc, libc.lchown(cString(path), uid, gid), "IO", `lchown ${path}`);
    },
    async lutimes(path: string, atimeMs: number, mtimeMs: number): Promise<void> {
      check(libc, libc.lutimens(cString(path), timespecs(atimeMs, mtimeMs)), "IO", `lutimes ${path}`);
    },
    /**
     * FilesPort.createFile as a C program does it: one path lookup, then owner, mode and times on
     * the descriptor (the runtime's own calls would look the path up three times more).
     */
    async createFile(path: string, data: Uint8Array, meta: { mode: number; owner?: { uid: number; gid: number }; atimeMs: number; mtimeMs: number }): Promise<void> {
      const fd = libc.openat(AT_FDCWD, cString(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, meta.mode & 0o777);
      check(libc, fd, "IO", `create ${path}`);
      try {
        for (let done = 0; done < data.length;) {
          const n = libc.write(fd, data.subarray(done), data.length - done);
          if (n === -1 && libc.errno() === EINTR) continue;
          check(libc, n, "IO", `create ${path}`);
          done += n;
        }
        if (meta.owner) check(libc, libc.fchown(fd, meta.owner.uid, meta.owner.gid), "IO", `create ${path}`);
        check(libc, libc.fchmod(fd, meta.mode & 0o7777), "IO", `create ${path}`);
        check(libc, libc.futimens(fd, timespecs(meta.atimeMs, meta.mtimeMs)), "IO", `create ${path}`);
      } finally {
        libc.close(fd);
      }
    },
    async setxattr(path: string, name: string, value: Uint8Array): Promise<void> {
      // A zero-length buffer may be handed over as NULL; keep one byte so the pointer is real.
      const buf = value.length > 0 ? value : new Uint8Array(1);
      check(libc, libc.lsetxattr(cString(path), cString(name), buf, value.length, 0), "IO", `setxattr ${name} on ${path}`);
    },
    async getxattr(path: string, name: string): Promise<Uint8Array | null> {
      const p = cString(path);
      const n = cString(name);
      const read = (buf: Uint8Array, size: number) => libc.lgetxattr(p, n, buf, size);
      return sizedRead(libc, read, `getxattr ${name} on ${path}`, true);
    },
    async listxattr(path: string): Promise<string[]> {
      const p = cString(path);
      const list = await sizedRead(libc, (buf, size) => libc.llistxattr(p, buf, size), `listxattr ${path}`, false);
      if (list === null || list.length === 0) return [];
      return decoder.decode(list.subarray(0, list.length - 1)).split("\0");
    },
  };
}

/** Two struct timespec (access, then modification) for utimensat and futimens. */
function timespecs(atimeMs: number, mtimeMs: number): BigInt64Array {
  const times = new BigInt64Array(4);
  [times[0], times[1]] = timespec(atimeMs);
  [times[2], times[3]] = timespec(mtimeMs);
  return times;
}

function timespec(ms: number): [bigint, bigint] {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return [BigInt(seconds), BigInt(Math.min(nanos, 999_999_999))];
}

/** Asks for the size, then reads; retries when the value grew in between (ERANGE). */
function sizedRead(
  libc: Libc,
  read: (buf: Uint8Array, size: number) => number,
  what: string,
  absentIsNull: boolean,
): Promise<Uint8Array | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const size = read(new Uint8Array(1), 0);
    if (size === -1) {
      const errno = libc.errno();
      if (absentIsNull && errno === ENODATA) return Promise.resolve(null);
      throw new WharfError("IO", `${what}: ${errnoName(errno)}`, { errno: errnoName(errno) });
    }
    const buf = new Uint8Array(Math.max(size, 1));
    const got = read(buf, size);
    if (got === -1 && libc.errno() === ERANGE) continue;
    check(libc, got, "IO", what);
    return Promise.resolve(buf.subarray(0, got));
  }
  throw new WharfError("IO", `${what}: value kept changing size`, { errno: "ERANGE" });
}
