/**
 * The init layer's contents (moby `daemon/initlayer/setup_unix.go`): mount points and files a
 * runtime bind-mounts over, so they never land in the container's own layer. Run on the init
 * layer mounted over the image: each path's non-directory components are unlinked first (an
 * image's /etc/hosts is replaced by an empty file), then what is still missing is created,
 * directories 0755, files 0755 and empty, all owned by root.
 */
import type { FilesPort } from "../ports.ts";

const INIT_PATHS: Array<[string, "dir" | "file" | { symlink: string }]> = [
  ["/dev/pts", "dir"],
  ["/dev/shm", "dir"],
  ["/proc", "dir"],
  ["/sys", "dir"],
  ["/.dockerenv", "file"],
  ["/etc/resolv.conf", "file"],
  ["/etc/hosts", "file"],
  ["/etc/hostname", "file"],
  ["/dev/console", "file"],
  ["/etc/mtab", { symlink: "/proc/mounts" }],
];

/** `chown`: make what is created root-owned (false when not running as root: it is ours already). */
export async function setupInitLayer(files: FilesPort, root: string, chown: boolean): Promise<void> {
  for (const [path, kind] of INIT_PATHS) {
    const parts = path.split("/").slice(1);
    let prefix = root;
    for (const part of parts) {
      prefix = `${prefix}/${part}`;
      const info = await files.lstat(prefix);
      if (info && info.kind !== "dir") await files.remove(prefix); // unlink(2): directories stay
    }
    const target = `${root}${path}`;
    if (await files.stat(target)) continue;
    await mkdirAll(files, root, parts.slice(0, -1), chown);
    if (kind === "dir") await mkdirAll(files, root, parts, chown);
    else {
      if (kind === "file") {
        await files.writeFile(target, new Uint8Array(0), 0o755);
        await files.chmod(target, 0o755);
        if (chown) await files.lchown(target, 0, 0);
      } else await files.symlink(kind.symlink, target);
      await wholeSeconds(files, target);
    }
  }
}

/**
 * Drops the sub-second part of a new file's mtime. vfs copies the init layer into the read-write
 * one through the ports' millisecond times; a nanosecond mtime would come out different and the
 * naive diff would report every init file as changed. Layer tars keep whole seconds anyway.
 */
async function wholeSeconds(files: FilesPort, path: string): Promise<void> {
  const info = await files.lstat(path);
  if (!info) return;
  const ms = Math.floor(info.mtimeMs / 1000) * 1000;
  await files.lutimes(path, ms, ms);
}

/** idtools.MkdirAllAndChownNew: missing directories made 0755 and root-owned; existing ones untouched. */
async function mkdirAll(files: FilesPort, root: string, parts: string[], chown: boolean): Promise<void> {
  let path = root;
  for (const part of parts) {
    path = `${path}/${part}`;
    if (await files.stat(path)) continue;
    await files.mkdir(path, { mode: 0o755 });
    await files.chmod(path, 0o755);
    if (chown) await files.lchown(path, 0, 0);
  }
}
