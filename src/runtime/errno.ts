/**
 * Linux errno numbers and messages, shared by the adapters: the FFI adapters (Deno, Bun) read a
 * number from `errno`; the Node adapter only has a subprocess's message to go on.
 */

/** Linux x86-64/arm64 errno numbers (asm-generic/errno-base.h and errno.h), name by number. */
const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
  9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK",
  16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
  23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE",
  30: "EROFS", 31: "EMLINK", 32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK", 36: "ENAMETOOLONG",
  37: "ENOLCK", 38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 61: "ENODATA", 75: "EOVERFLOW",
  95: "EOPNOTSUPP", 116: "ESTALE", 122: "EDQUOT",
};

export const ERANGE = 34;
export const ENODATA = 61;

/** Name for a Linux errno number, `E<number>` when it is not in the table. */
export function errnoName(n: number): string {
  return NAMES[n] ?? `E${n}`;
}

/**
 * glibc strerror() texts, for reading an errno back out of a tool's message
 * (e.g. `mount: /m: mount(2) system call failed: No such file or directory`).
 */
const STRERROR: ReadonlyArray<[string, string]> = [
  ["operation not permitted", "EPERM"],
  ["no such file or directory", "ENOENT"],
  ["input/output error", "EIO"],
  ["cannot allocate memory", "ENOMEM"],
  ["permission denied", "EACCES"],
  ["block device required", "ENOTBLK"],
  ["device or resource busy", "EBUSY"],
  ["file exists", "EEXIST"],
  ["no such device", "ENODEV"],
  ["not a directory", "ENOTDIR"],
  ["is a directory", "EISDIR"],
  ["invalid argument", "EINVAL"],
  ["too many open files", "EMFILE"],
  ["no space left on device", "ENOSPC"],
  ["read-only file system", "EROFS"],
  ["file name too long", "ENAMETOOLONG"],
  ["directory not empty", "ENOTEMPTY"],
  ["too many levels of symbolic links", "ELOOP"],
  ["no data available", "ENODATA"],
  ["no such attribute", "ENODATA"], // getfattr's own wording for ENODATA (ENOATTR)
  ["operation not supported", "EOPNOTSUPP"],
  ["numerical result out of range", "ERANGE"],
];

/** errno name whose strerror() text appears in `message`, if any. */
export function errnoFromStrerror(message: string): string | undefined {
  const lower = message.toLowerCase();
  for (const [text, name] of STRERROR) if (lower.includes(text)) return name;
  return undefined;
}
