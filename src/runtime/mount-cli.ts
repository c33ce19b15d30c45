/**
 * Mounting through util-linux `mount(8)` / `umount(8)` for runtimes without FFI (Node):
 * MS_* flags become command-line options, and the tool's message becomes an errno name.
 */
import { WharfError } from "../errors.ts";
import { errnoFromStrerror } from "./errno.ts";
import * as MS from "./mount-flags.ts";

/** Flags that map to a `-o` option of mount(8). */
const OPTION_FLAGS: ReadonlyArray<[number, string]> = [
  [MS.MS_RDONLY, "ro"],
  [MS.MS_NOSUID, "nosuid"],
  [MS.MS_NODEV, "nodev"],
  [MS.MS_NOEXEC, "noexec"],
  [MS.MS_SYNCHRONOUS, "sync"],
  [MS.MS_REMOUNT, "remount"],
  [MS.MS_MANDLOCK, "mand"],
  [MS.MS_DIRSYNC, "dirsync"],
  [MS.MS_NOATIME, "noatime"],
  [MS.MS_NODIRATIME, "nodiratime"],
  [MS.MS_SILENT, "silent"],
  [MS.MS_RELATIME, "relatime"],
  [MS.MS_STRICTATIME, "strictatime"],
];

/**
 * Arguments for mount(8). `-n` keeps it from writing /etc/mtab, `-i` from running
 * /sbin/mount.<type> helpers, so the call is as close to mount(2) as the tool allows.
 */
export function mountArgs(source: string, target: string, fstype: string, flags: number, data: string): string[] {
  let rest = flags;
  const options: string[] = [];
  for (const [bit, name] of OPTION_FLAGS) {
    if (rest & bit) options.push(name);
    rest &= ~bit;
  }
  const args = ["-n", "-i"];
  const rec = (rest & MS.MS_REC) !== 0;
  rest &= ~MS.MS_REC;
  if (rest & MS.MS_BIND) args.push(rec ? "--rbind" : "--bind");
  else if (rest & MS.MS_MOVE) args.push("--move");
  else if (rest & MS.MS_PRIVATE) args.push(rec ? "--make-rprivate" : "--make-private");
  else if (rest & MS.MS_SLAVE) args.push(rec ? "--make-rslave" : "--make-slave");
  else if (rest & MS.MS_SHARED) args.push(rec ? "--make-rshared" : "--make-shared");
  else if (rec) throw new WharfError("INVALID_ARGUMENT", "MS_REC without MS_BIND or a propagation flag");
  rest &= ~(MS.MS_BIND | MS.MS_MOVE | MS.MS_PRIVATE | MS.MS_SLAVE | MS.MS_SHARED);
  if (rest !== 0) throw new WharfError("UNSUPPORTED", `mount flags 0x${rest.toString(16)} cannot be expressed to mount(8)`);
  if (fstype !== "") args.push("-t", fstype);
  if (data !== "") options.push(data);
  if (options.length > 0) args.push("-o", options.join(","));
  args.push(source, target);
  return args;
}

export function umountArgs(target: string, flags: number): string[] {
  const args = ["-n"];
  if (flags & MS.MNT_FORCE) args.push("-f");
  if (flags & MS.MNT_DETACH) args.push("-l");
  if (flags & ~(MS.MNT_FORCE | MS.MNT_DETACH)) throw new WharfError("UNSUPPORTED", `umount flags 0x${flags.toString(16)} cannot be expressed to umount(8)`);
  args.push(target);
  return args;
}

/**
 * Phrases util-linux 2.38 (libmount's mnt_context_get_excode) prints for each errno of
 * mount(2)/umount2(2). Checked in order; the first match wins. Where libmount has turned the
 * errno into prose, this is the only way back to it.
 */
const MESSAGE_ERRNO: ReadonlyArray<[RegExp, string]> = [
  [/must be superuser/, "EPERM"],
  [/already mounted or mount point busy|target is busy|is busy/, "EBUSY"],
  [/mount point does not exist|special device .* does not exist|no mount point specified|can't find in \/etc\/fstab/, "ENOENT"],
  [/mount point is not a directory|is not a directory/, "ENOTDIR"],
  [/unknown filesystem type/, "ENODEV"],
  [/is not a block device/, "ENOTBLK"],
  [/mount table full/, "EMFILE"],
  [/cannot mount .* read-only|is write-protected/, "EACCES"],
  [/wrong fs type, bad option|not mounted/, "EINVAL"],
];

/** Best errno name recoverable from a mount(8)/umount(8) message; `EIO` when none is. */
export function errnoFromMountMessage(message: string): string {
  // An explicit strerror() text (e.g. after "system call failed:") is the most precise.
  const afterColon = /system call failed: (.*)$/m.exec(message)?.[1];
  if (afterColon) {
    const name = errnoFromStrerror(afterColon);
    if (name) return name;
  }
  for (const [pattern, name] of MESSAGE_ERRNO) if (pattern.test(message)) return name;
  return errnoFromStrerror(message) ?? "EIO";
}
