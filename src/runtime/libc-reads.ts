/**
 * FilesPort.readFileInto, readFileAt and openDirReader over openat(2) and pread(2), for an FFI
 * adapter whose runtime opens files only after a stat (Deno has no O_NOFOLLOW): one open, the
 * reads, one close per file. A final symlink fails the open (O_NOFOLLOW), a FIFO opens without
 * waiting (O_NONBLOCK) and fails its pread (ESPIPE), as a directory's does (EISDIR): all read as
 * missing. A directory reader opens each directory once, relative to its parent and without
 * following a symlink, so a file costs a one-name lookup instead of a walk of its whole path.
 */
import type { DirFileReader } from "../ports.ts";
import { errnoName } from "./errno.ts";
import type { Libc } from "./libc.ts";

/** O_NOFOLLOW and O_DIRECTORY differ by architecture; the other flags do not on these two. */
const ARCH_FLAGS: Record<string, { noFollow: number; directory: number }> = {
  x86_64: { noFollow: 0o400000, directory: 0o200000 },
  x64: { noFollow: 0o400000, directory: 0o200000 },
  aarch64: { noFollow: 0o100000, directory: 0o40000 },
  arm64: { noFollow: 0o100000, directory: 0o40000 },
};
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const AT_FDCWD = -100;
const EINTR = 4;
/** What opening or reading something that is not a readable regular file (or directory, on the way) fails with. */
const NOT_A_FILE = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EMLINK", "EISDIR", "ESPIPE", "ENXIO", "ENODEV", "EAGAIN"]);
/** Directory descriptors a reader keeps open; tar order reads a directory's files together. */
const OPEN_DIRS = 64;

export interface LibcFileReads {
  readFileInto(path: string, into: Uint8Array): number | null | undefined;
  readFileAt(path: string, into: Uint8Array, position: number): number | null;
  openDirReader(dir: string): DirFileReader;
}

/** Undefined on an architecture whose flags are not known here. */
export function libcFileReads(libc: Libc, arch: string): LibcFileReads | undefined {
  const known = ARCH_FLAGS[arch];
  if (known === undefined) return undefined;
  const fileFlags = known.noFollow | O_NONBLOCK | O_CLOEXEC;
  const dirFlags = O_PATH | known.directory | O_CLOEXEC;
  const encoder = new TextEncoder();
  let name = new Uint8Array(4096);
  const probe = new Uint8Array(1);

  const fail = (errno: string): never => {
    throw Object.assign(new Error(errno), { code: errno });
  };
  /** A descriptor for `path` (relative to `at`), or null when it is not there to open as asked. */
  const openAt = (at: number, path: string, flags: number): number | null => {
    if (path.includes("\0")) return null;
    // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the NUL.
    if (name.length < path.length * 3 + 1) name = new Uint8Array(path.length * 3 + 1);
    const { written } = encoder.encodeInto(path, name);
    name[written] = 0;
    const fd = libc.openat(at, name, flags);
    if (fd >= 0) return fd;
    const errno = errnoName(libc.errno());
    return NOT_A_FILE.has(errno) ? null : fail(errno);
  };
  /** Reads until `into` is full or the file ends; null when the descriptor is not a file's. */
  const readFull = (fd: number, into: Uint8Array, position: number): number | null => {
    let filled = 0;
    while (filled < into.length) {
      const view = filled === 0 ? into : into.subarray(filled);
      const n = libc.pread(fd, view, view.length, position + filled);
      if (n === 0) break;
      if (n < 0) {
        const errno = libc.errno();
        if (errno === EINTR) continue;
        if (NOT_A_FILE.has(errnoName(errno))) return null;
        fail(errnoName(errno));
      }
      filled += n;
    }
    return filled;
  };
  const withFile = <T>(at: number, path: string, read: (fd: number) => T): T | null => {
    const fd = openAt(at, path, fileFlags);
    if (fd === null) return null;
    try {
      return read(fd);
    } finally {
      libc.close(fd);
    }
  };
  const whole = (fd: number, into: Uint8Array): number | null | undefined => {
    const n = readFull(fd, into, 0);
    if (n === null || n < into.length) return n;
    // Full: one byte more tells a larger file.
    const more = readFull(fd, probe, n);
    return more === 0 ? n : more === null ? null : undefined;
  };

  return {
    readFileInto: (path, into) => withFile(AT_FDCWD, path, (fd) => whole(fd, into)),
    readFileAt: (path, into, position) => withFile(AT_FDCWD, path, (fd) => readFull(fd, into, position)),
    openDirReader(dir) {
      /** Open directories by path relative to `dir` ("" is `dir`), oldest first; null: not a real directory. */
      const dirs = new Map<string, number | null>();
      const dirFd = (rel: string): number | null => {
        const cached = dirs.get(rel);
        if (cached !== undefined) return cached;
        let fd: number | null;
        if (rel === "") {
          fd = openAt(AT_FDCWD, dir, dirFlags); // the layer directory itself is trusted
        } else {
          const slash = rel.lastIndexOf("/");
          const parent = dirFd(slash < 0 ? "" : rel.slice(0, slash));
          fd = parent === null ? null : openAt(parent, rel.slice(slash + 1), dirFlags | known.noFollow);
        }
        if (dirs.size >= OPEN_DIRS) {
          for (const [oldRel, oldFd] of dirs) {
            if (oldRel === "") continue;
            dirs.delete(oldRel);
            if (oldFd !== null) libc.close(oldFd);
            break;
          }
        }
        dirs.set(rel, fd);
        return fd;
      };
      const inDir = <T>(rel: string, read: (fd: number) => T): T | null => {
        const slash = rel.lastIndexOf("/");
        const at = dirFd(slash < 0 ? "" : rel.slice(0, slash));
        return at === null ? null : withFile(at, rel.slice(slash + 1), read);
      };
      return {
        readFileInto: (rel, into) => inDir(rel, (fd) => whole(fd, into)),
        readFileAt: (rel, into, position) => inDir(rel, (fd) => readFull(fd, into, position)),
        close() {
          for (const fd of dirs.values()) if (fd !== null) libc.close(fd);
          dirs.clear();
        },
      };
    },
  };
}
