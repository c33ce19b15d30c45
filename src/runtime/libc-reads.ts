/**
 * FilesPort.readFileInto and readFileAt over open(2) and pread(2), for an FFI adapter whose
 * runtime opens files only after a stat (Deno has no O_NOFOLLOW): one open, the reads, one
 * close per file. A final symlink fails the open (O_NOFOLLOW), a FIFO opens without waiting
 * (O_NONBLOCK) and fails its pread (ESPIPE), as a directory's does (EISDIR): all read as missing.
 */
import { errnoName } from "./errno.ts";
import type { Libc } from "./libc.ts";

/** O_NOFOLLOW differs by architecture; O_NONBLOCK and O_CLOEXEC do not on these two. */
const O_NOFOLLOW: Record<string, number> = { x86_64: 0o400000, x64: 0o400000, aarch64: 0o100000, arm64: 0o100000 };
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EINTR = 4;
/** What open or pread of something that is not a readable regular file fails with. */
const NOT_A_FILE = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EMLINK", "EISDIR", "ESPIPE", "ENXIO", "ENODEV", "EAGAIN"]);

export interface LibcFileReads {
  readFileInto(path: string, into: Uint8Array): number | null | undefined;
  readFileAt(path: string, into: Uint8Array, position: number): number | null;
}

/** Undefined on an architecture whose flags are not known here. */
export function libcFileReads(libc: Libc, arch: string): LibcFileReads | undefined {
  const noFollow = O_NOFOLLOW[arch];
  if (noFollow === undefined) return undefined;
  const flags = noFollow | O_NONBLOCK | O_CLOEXEC;
  const encoder = new TextEncoder();
  let name = new Uint8Array(4096);
  const probe = new Uint8Array(1);

  const fail = (): never => {
    const errno = errnoName(libc.errno());
    throw Object.assign(new Error(errno), { code: errno });
  };
  /** The file's descriptor, or null when it is not there to read. */
  const open = (path: string): number | null => {
    if (path.includes("\0")) return null;
    // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the NUL.
    if (name.length < path.length * 3 + 1) name = new Uint8Array(path.length * 3 + 1);
    const { written } = encoder.encodeInto(path, name);
    name[written] = 0;
    const fd = libc.open(name, flags);
    if (fd >= 0) return fd;
    const errno = errnoName(libc.errno());
    if (NOT_A_FILE.has(errno)) return null;
    throw Object.assign(new Error(errno), { code: errno });
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
        fail();
      }
      filled += n;
    }
    return filled;
  };
  const withFile = <T>(path: string, read: (fd: number) => T): T | null => {
    const fd = open(path);
    if (fd === null) return null;
    try {
      return read(fd);
    } finally {
      libc.close(fd);
    }
  };
  return {
    readFileInto: (path, into) =>
      withFile(path, (fd) => {
        const n = readFull(fd, into, 0);
        if (n === null || n < into.length) return n;
        // Full: one byte more tells a larger file.
        const more = readFull(fd, probe, n);
        return more === 0 ? n : more === null ? null : undefined;
      }),
    readFileAt: (path, into, position) => withFile(path, (fd) => readFull(fd, into, position)),
  };
}
