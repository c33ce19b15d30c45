/**
 * The overlay2 driver (moby `daemon/graphdriver/overlay2`), with Docker's exact layout:
 *   <home>/l/<LID> -> ../<id>/diff      (0700 dir; short names keep mount data under a page)
 *   <home>/<id>/            0710: diff/ 0755, link (LID), and with a parent lower + work/ 0700
 *   <home>/<parent>/committed           (0600, empty) once a child exists: mounted read-only
 *   <home>/<id>/merged/     0700 while mounted
 * Layers are applied straight into diff/ with overlay whiteouts; diffs are native (from diff/).
 */
import type { BlockingFileOps, FilesPort, MountsPort, RandomPort, Runtime, WorkersPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { loadApply } from "../archive/load-apply.ts";
import { MNT_DETACH } from "../runtime/mount-flags.ts";
import { readyWorkerClient } from "../worker/client.ts";
import { listDir } from "../fs/list-dir.ts";
import { SMALL_ENTRIES_BATCH, writeTar } from "../tar/writer.ts";
import type { TarEntry } from "../tar/reader.ts";
import type { Change, DiffGetter, Driver, DriverStatus, LayerApplier } from "./driver.ts";
import { layerFileGetter } from "./diff-getter.ts";
import { checkLayerID, notFound } from "./layer-id.ts";
import { overlaySupport } from "./overlay2-support.ts";
import { ensureDir } from "./vfs.ts";

/** Overlay accepts at most this many lower directories (moby maxDepth). */
export const MAX_LOWERS = 128;
const LINK_DIR = "l";
const LID_LENGTH = 26;
/** `link` and `lower` are a few KiB at most (MAX_LOWERS short links). */
const TEXT_LIMIT = 64 << 10;
/** mount(2) copies at most one page of option data, NUL included. */
const MAX_MOUNT_DATA = 4096 - 1;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class Overlay2Driver implements Driver {
  readonly name = "overlay2";
  /** Each layer is its own diff/ directory; a child needs only its parent's link name. */
  readonly independentLayers = true;
  readonly home: string;
  private readonly mountCounts = new Map<string, number>();
  /**
   * Calls for a layer's own directories and small files, blocking where the runtime has them:
   * layers are created while others fill, and a hop to an I/O thread then waits its turn.
   */
  private readonly meta: BlockingFileOps;

  private constructor(
    home: string,
    private readonly files: FilesPort,
    private readonly mounts: MountsPort,
    private readonly random: RandomPort,
    private readonly backingFs: string,
    private readonly indexOff: boolean,
    private readonly workers: WorkersPort | undefined,
  ) {
    this.home = home;
    this.meta = files.blocking ?? files;
  }

  /** Opens `<root>/overlay2` (0710, with `l/` 0700); fails with the reason when overlay cannot run here. */
  static async open(root: string, runtime: Runtime): Promise<Overlay2Driver> {
    const support = await overlaySupport(root, runtime);
    if (!support.supported) throw new WharfError("DRIVER", `storage driver overlay2 cannot be used at ${root}: ${support.reason}`);
    const files = runtime.files!;
    const home = `${root}/overlay2`;
    await ensureDir(files, home, 0o710);
    await ensureDir(files, `${home}/${LINK_DIR}`, 0o700);
    return new Overlay2Driver(home, files, runtime.mounts!, runtime.random, support.backingFs, support.indexOff, runtime.workers);
  }

  dir(id: string): string {
    checkLayerID(id);
    return `${this.home}/${id}`;
  }

  async create(id: string, parent: string | undefined): Promise<void> {
    const dir = this.dir(id);
    const lowers = parent === undefined ? undefined : await this.lowersFor(parent);
    // `link` and `lower` are not synced, as Docker writes them (a crash before the layer store
    // commits drops the layer anyway).
    await this.meta.mkdir(dir, { mode: 0o710 });
    let lid: string | undefined;
    try {
      await this.meta.chmod(dir, 0o710);
      await this.meta.mkdir(`${dir}/diff`, { mode: 0o755 });
      await this.meta.chmod(`${dir}/diff`, 0o755);
      lid = await this.newLinkID();
      // `link` before the l/ symlink: a process killed in between leaves a layer dir whose
      // removal finds (and removes) its link, never a dangling l/ entry nothing names.
      await writeFileAtomic(this.files, `${dir}/link`, encoder.encode(lid), { mode: 0o644, durable: false });
      await this.meta.symlink(`../${id}/diff`, `${this.home}/${LINK_DIR}/${lid}`);
      if (parent === undefined || lowers === undefined) return;
      await this.meta.mkdir(`${dir}/work`, { mode: 0o700 });
      await this.meta.chmod(`${dir}/work`, 0o700);
      const committed = `${this.dir(parent)}/committed`;
      await this.meta.writeFile(committed, new Uint8Array(0), 0o600);
      await this.meta.chmod(committed, 0o600);
      await writeFileAtomic(this.files, `${dir}/lower`, encoder.encode(lowers.join(":")), { mode: 0o644, durable: false });
    } catch (e) {
      if (lid !== undefined) await this.files.remove(`${this.home}/${LINK_DIR}/${lid}`).catch(() => {});
      await this.files.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  createReadWrite(id: string, parent: string | undefined): Promise<void> {
    return this.create(id, parent);
  }

  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    if (!(await this.files.lstat(dir))) return;
    // Never delete through a live mount: detach merged/ first (also one left by a killed process).
    if (await this.files.lstat(`${dir}/merged`)) await this.mounts.unmount(`${dir}/merged`, MNT_DETACH).catch(() => {});
    this.mountCounts.delete(id);
    const lid = await this.readText(`${dir}/link`);
    if (lid !== undefined && lid !== "" && !lid.includes("/")) {
      await this.files.remove(`${this.home}/${LINK_DIR}/${lid}`).catch(() => {});
    }
    const parentLink = (await this.readText(`${dir}/lower`))?.split(":")[0];
    await this.files.remove(dir, { recursive: true });
    if (parentLink) await this.uncommitIfChildless(parentLink);
  }

  /**
   * `committed` marks a layer that has children (it is then mounted read-only). When the last
   * child goes, the mark goes too, so create + rm leaves the root as it was. (moby keeps the mark.)
   */
  private async uncommitIfChildless(parentLink: string): Promise<void> {
    const target = await this.files.readlink(`${this.home}/${parentLink}`).catch(() => undefined); // ../<id>/diff
    const parent = target?.match(/^\.\.\/([^/]+)\/diff$/)?.[1];
    if (!parent) return;
    for (const id of await this.list()) {
      if ((await this.readText(`${this.home}/${id}/lower`))?.split(":")[0] === parentLink) return;
    }
    await this.files.remove(`${this.dir(parent)}/committed`).catch(() => {});
  }

  async get(id: string): Promise<string> {
    const dir = this.dir(id);
    if ((await this.files.lstat(dir))?.kind !== "dir") throw notFound(this.name, id);
    const lower = await this.readText(`${dir}/lower`);
    if (lower === undefined) return `${dir}/diff`; // a base layer is its diff dir
    const merged = `${dir}/merged`;
    const count = (this.mountCounts.get(id) ?? 0) + 1;
    this.mountCounts.set(id, count);
    if (count > 1) return merged;
    // Mounted by another process and kept (a container mount): share it, as moby's RefCounter does.
    if (await this.isMounted(id)) return merged;
    try {
      await this.mountLayer(id, lower);
    } catch (e) {
      this.mountCounts.delete(id);
      await this.files.remove(merged).catch(() => {});
      throw e;
    }
    return merged;
  }

  async put(id: string): Promise<void> {
    const dir = this.dir(id);
    const count = this.mountCounts.get(id);
    if (count === undefined) {
      // A mount kept past its process (keepMounted) ends with the put of whichever process comes last.
      if (await this.isMounted(id)) await this.unmountMerged(dir);
      return; // else a base layer, or nothing mounted
    }
    if (count > 1) {
      this.mountCounts.set(id, count - 1);
      return;
    }
    this.mountCounts.delete(id);
    await this.unmountMerged(dir);
  }

  async isMounted(id: string): Promise<boolean> {
    const dir = this.dir(id);
    const merged = await this.files.lstat(`${dir}/merged`);
    if (merged?.kind !== "dir") return false;
    // A mount point sits on another device than the directory holding it.
    const parent = await this.files.lstat(dir);
    return parent !== null && parent.dev !== merged.dev;
  }

  keepMounted(id: string): void {
    const count = this.mountCounts.get(id);
    if (count === undefined) return;
    if (count > 1) this.mountCounts.set(id, count - 1);
    else this.mountCounts.delete(id);
  }

  private async unmountMerged(dir: string): Promise<void> {
    await this.mounts.unmount(`${dir}/merged`, MNT_DETACH);
    // Removing the mount point also ends copies of the mount in other namespaces (moby does the same).
    await this.files.remove(`${dir}/merged`).catch(() => {});
  }

  async exists(id: string): Promise<boolean> {
    return (await this.files.lstat(this.dir(id)))?.kind === "dir";
  }

  async status(): Promise<DriverStatus> {
    return [["Backing Filesystem", this.backingFs], ["Supports d_type", "true"], ["Native Overlay Diff", "true"], ["userxattr", "false"]];
  }

  async cleanup(): Promise<void> {
    const ids = [...this.mountCounts.keys()];
    this.mountCounts.clear();
    for (const id of ids) {
      await this.mounts.unmount(`${this.dir(id)}/merged`, MNT_DETACH).catch(() => {});
      await this.files.remove(`${this.dir(id)}/merged`).catch(() => {});
    }
  }

  /** Applies into diff/ (made empty by `create`) with overlay whiteouts; the size is diff/'s (hard links once). */
  async applier(id: string, _parent: string | undefined): Promise<LayerApplier> {
    const diffDir = await this.diffDir(id);
    const { LayerExtractor, OVERLAY_OPAQUE_XATTR } = await loadApply();
    const extractor = new LayerExtractor(this.files, diffDir, {
      whiteouts: "overlay", privileged: true, opaqueXattr: OVERLAY_OPAQUE_XATTR, worker: () => readyWorkerClient(this.workers),
    });
    return {
      apply: (entry: TarEntry) => extractor.apply(entry),
      settle: () => extractor.settle().catch(() => {}),
      finish: async () => {
        await extractor.finish();
        return extractor.madeSize() ?? directorySize(this.files, diffDir);
      },
    };
  }

  diff(id: string, _parent: string | undefined): ReadableStream<Uint8Array> {
    const self = this;
    async function* entries() {
      const [{ overlayDiffEntries }, { OVERLAY_OPAQUE_XATTR }] = await Promise.all([import("../archive/diff-tar.ts"), import("../archive/apply.ts")]);
      yield* overlayDiffEntries(self.files, await self.diffDir(id), OVERLAY_OPAQUE_XATTR);
    }
    return writeTar(entries(), { batch: SMALL_ENTRIES_BATCH });
  }

  async changes(id: string, _parent: string | undefined): Promise<Change[]> {
    const diffDir = await this.diffDir(id);
    const lower = await this.readText(`${this.dir(id)}/lower`);
    const lowerDirs = lower === undefined ? [] : lower.split(":").map((l) => `${this.home}/${l}`);
    const [{ overlayChanges }, { OVERLAY_OPAQUE_XATTR }] = await Promise.all([import("../archive/changes.ts"), import("../archive/apply.ts")]);
    return overlayChanges(this.files, lowerDirs, diffDir, OVERLAY_OPAQUE_XATTR);
  }

  async diffSize(id: string, _parent: string | undefined): Promise<number> {
    return directorySize(this.files, await this.diffDir(id));
  }

  async diffGetter(id: string): Promise<DiffGetter> {
    return layerFileGetter(this.files, await this.diffDir(id), async () => {});
  }

  /** Layer directories: everything in the home but the `l/` link directory. */
  async list(): Promise<string[]> {
    return (await this.files.readdir(this.home)).filter((name) => name !== LINK_DIR);
  }

  /** moby GetMetadata: the lowers resolved from `l/` links to absolute diff dirs, nearest first. */
  async metadata(id: string): Promise<Record<string, string>> {
    const dir = this.dir(id);
    if ((await this.files.lstat(dir))?.kind !== "dir") throw notFound(this.name, id);
    const data: Record<string, string> = {};
    const lower = await this.readText(`${dir}/lower`);
    if (lower) {
      const dirs: string[] = [];
      for (const link of lower.split(":")) {
        const target = await this.files.readlink(`${this.home}/${link}`); // ../<id>/diff
        dirs.push(`${this.home}/${target.replace(/^\.\.\//, "")}`);
      }
      data.LowerDir = dirs.join(":");
    }
    data.MergedDir = `${dir}/merged`;
    data.UpperDir = `${dir}/diff`;
    data.WorkDir = `${dir}/work`;
    return data;
  }

  private async diffDir(id: string): Promise<string> {
    const dir = this.dir(id);
    if ((await this.meta.lstat(`${dir}/diff`))?.kind !== "dir") throw notFound(this.name, id);
    return `${dir}/diff`;
  }

  /** `l/<parent LID>` then the parent's own lowers, nearest first. */
  private async lowersFor(parent: string): Promise<string[]> {
    const parentDir = this.dir(parent);
    const lid = await this.readText(`${parentDir}/link`);
    if (lid === undefined) throw notFound(this.name, parent);
    const parentLower = await this.readText(`${parentDir}/lower`);
    const lowers = [`${LINK_DIR}/${lid}`, ...(parentLower ? parentLower.split(":") : [])];
    if (lowers.length > MAX_LOWERS) throw new WharfError("DRIVER", `overlay2: layer on ${parent} would have ${lowers.length} lower directories; at most ${MAX_LOWERS}`);
    return lowers;
  }

  /**
   * Read-write: `lowerdir=<lowers>,upperdir=diff,workdir=work`; committed: `lowerdir=diff:<lowers>`
   * (read-only). Absolute paths unless the data would pass a page; then relative to the home.
   */
  private async mountLayer(id: string, lower: string): Promise<void> {
    const dir = this.dir(id);
    const readonly = (await this.files.lstat(`${dir}/committed`)) !== null;
    const index = this.indexOff ? "index=off," : "";
    const options = (base: string, lowers: string): string =>
      readonly ? `${index}lowerdir=${base}/diff:${lowers}` : `${index}lowerdir=${lowers},upperdir=${base}/diff,workdir=${base}/work`;
    const absLowers = lower.split(":").map((l) => `${this.home}/${l}`).join(":");
    let data = options(dir, absLowers);
    let target = `${dir}/merged`;
    let cwd: string | undefined;
    if (data.length > MAX_MOUNT_DATA) {
      data = options(id, lower);
      target = `${id}/merged`;
      cwd = this.home;
      if (data.length > MAX_MOUNT_DATA) throw new WharfError("MOUNT", `overlay2: cannot mount layer ${id}: mount data too large (${data.length} bytes)`);
    }
    await ensureDir(this.files, `${dir}/merged`, 0o700);
    try {
      await this.mounts.mount("overlay", target, "overlay", 0, data, cwd === undefined ? undefined : { cwd });
    } catch (e) {
      const err = e as WharfError;
      throw new WharfError("MOUNT", `error creating overlay mount to ${dir}/merged: ${err.message}`, { errno: err.errno, cause: e });
    }
  }

  /** 26 characters of base32 over 17 random bytes, re-rolled on the (unlikely) clash. */
  private async newLinkID(): Promise<string> {
    for (;;) {
      const lid = base32(this.random.bytes(17)).slice(0, LID_LENGTH);
      if (!(await this.meta.lstat(`${this.home}/${LINK_DIR}/${lid}`))) return lid;
    }
  }

  private async readText(path: string): Promise<string | undefined> {
    if (this.files.readSmallFile) {
      const bytes = await this.files.readSmallFile(path, TEXT_LIMIT);
      if (bytes === undefined) throw new WharfError("DRIVER", `overlay2: ${path} is larger than ${TEXT_LIMIT} bytes`);
      return bytes === null ? undefined : decoder.decode(bytes);
    }
    if (!(await this.files.lstat(path))) return undefined;
    return decoder.decode(await this.files.readFile(path));
  }
}

export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** moby directory.Size: non-directories under `dir`, a multiply linked inode counted once. */
export async function directorySize(files: FilesPort, dir: string): Promise<number> {
  let size = 0;
  const seen = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    for (const { name, info } of await listDir(files, path)) {
      const child = `${path}/${name}`;
      if (info.kind === "dir") {
        await walk(child);
        continue;
      }
      if (info.nlink > 1) {
        const key = `${info.dev}:${info.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      size += info.size;
    }
  };
  await walk(dir);
  return size;
}
