/**
 * Can overlay2 run here? As moby's overlay2 Init checks: mounts available, root, the kernel's
 * overlay file system (after a `modprobe overlay`), a backing file system overlay accepts as
 * upper, and d_type — probed by a real mount whose merged listing must hide a whiteout (overlay
 * finds whiteouts by the char-device d_type of readdir; without d_type they would show). The
 * test mount is skipped for a root that already holds overlay2 state.
 */
import type { FilesPort, Runtime } from "../ports.ts";
import { MNT_DETACH } from "../runtime/mount-flags.ts";
import { backingFilesystem } from "./backing-fs.ts";
import { ensureDir } from "./vfs.ts";

export type OverlaySupport =
  | { supported: true; backingFs: string; indexOff: boolean }
  | { supported: false; reason: string };

/** Backing file systems overlay2 refuses (moby: aufs, ecryptfs, nfs, overlay, zfs). */
const INCOMPATIBLE_FS = new Set(["aufs", "ecryptfs", "nfs", "nfs4", "overlayfs", "zfs"]);

const probes = new Map<string, Promise<OverlaySupport>>();

/** The result for `root` is probed once, then cached for the life of this program. */
export function overlaySupport(root: string, runtime: Runtime): Promise<OverlaySupport> {
  let probe = probes.get(root);
  if (!probe) {
    probe = probeOverlay(root, runtime);
    probes.set(root, probe);
  }
  return probe;
}

async function probeOverlay(root: string, runtime: Runtime): Promise<OverlaySupport> {
  const files = runtime.files;
  const mounts = runtime.mounts;
  if (!files || !mounts) return { supported: false, reason: `the ${runtime.name} runtime cannot mount file systems` };
  const uid = runtime.env?.uid() ?? -1;
  if (uid !== 0) return { supported: false, reason: `overlay mounts need root (running as uid ${uid})` };
  if (!(await kernelHasOverlay(files))) {
    await runtime.processes?.run("modprobe", ["overlay"]).catch(() => undefined);
    if (!(await kernelHasOverlay(files))) {
      return { supported: false, reason: "the kernel does not support overlay (no \"nodev\toverlay\" in /proc/filesystems)".replace("\t", "\\t") };
    }
  }
  await ensureDir(files, root, 0o711);
  const backingFs = await backingFilesystem(files, root);
  if (INCOMPATIBLE_FS.has(backingFs)) return { supported: false, reason: `overlay2 is not supported over ${backingFs}` };
  const indexOff = (await files.lstat("/sys/module/overlay/parameters/index")) !== null;
  // A root that already holds overlay2 state passed the mount probe when that state was made
  // (same backing file system, checked above): as dockerd on restart, no test mount again.
  if ((await files.lstat(`${root}/overlay2/l`))?.kind !== "dir") {
    const dtype = await probeDType(files, runtime, root, indexOff);
    if (dtype !== undefined) return { supported: false, reason: dtype };
  }
  return { supported: true, backingFs, indexOff };
}

async function kernelHasOverlay(files: FilesPort): Promise<boolean> {
  try {
    const text = new TextDecoder().decode(await files.readFile("/proc/filesystems"));
    return text.split("\n").includes("nodev\toverlay");
  } catch {
    return false;
  }
}

/** undefined when an overlay mount in `root` hides a whiteout as it must; else why not. */
async function probeDType(files: FilesPort, runtime: Runtime, root: string, indexOff: boolean): Promise<string | undefined> {
  const mounts = runtime.mounts!;
  const dir = await files.makeTempDir(".overlay2-probe-", root);
  const merged = `${dir}/merged`;
  let mounted = false;
  try {
    for (const sub of ["lower", "upper", "work", "merged"]) await files.mkdir(`${dir}/${sub}`);
    await files.writeFile(`${dir}/lower/hidden`, new Uint8Array(0));
    await files.mknod(`${dir}/upper/hidden`, "char", 0, 0, 0);
    const data = `${indexOff ? "index=off," : ""}lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
    try {
      await mounts.mount("overlay", merged, "overlay", 0, data);
      mounted = true;
    } catch (e) {
      return `a test overlay mount failed: ${(e as Error).message}`;
    }
    const names = await files.readdir(merged);
    if (names.includes("hidden")) return "the backing file system does not support d_type (a whiteout shows in the merged listing)";
    return undefined;
  } finally {
    if (mounted) await mounts.unmount(merged, MNT_DETACH).catch(() => {});
    await files.remove(dir, { recursive: true }).catch(() => {});
  }
}
