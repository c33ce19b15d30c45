/**
 * The vfs driver (moby `daemon/graphdriver/vfs`): `<root>/vfs/dir/<id>/` is a full copy of the
 * parent's tree with the layer applied on top. No mounts and no privilege needed; diffs are
 * naive (naive-diff.ts wraps this driver).
 */
import type { FilesPort, Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { copyTree } from "../archive/copy.ts";
import { backingFilesystem } from "./backing-fs.ts";
import type { DriverStatus, ProtoDriver } from "./driver.ts";
import { checkLayerID, notFound } from "./layer-id.ts";

export class VfsDriver implements ProtoDriver {
  readonly name = "vfs";
  /** A layer starts as a copy of its parent's tree, so a chain is applied in order. */
  readonly independentLayers = false;
  readonly home: string;
  private readonly files: FilesPort;
  /** Root: owners are kept and device nodes made; rootless skips both, as Docker does. */
  readonly privileged: boolean;

  private constructor(home: string, files: FilesPort, privileged: boolean) {
    this.home = home;
    this.files = files;
    this.privileged = privileged;
  }

  /** Opens (creating when absent) `<root>/vfs` with `dir/` 0710. */
  static async open(root: string, runtime: Runtime): Promise<VfsDriver> {
    const files = runtime.files;
    if (!files) throw new WharfError("UNSUPPORTED", "vfs: this runtime has no file system");
    const home = `${root}/vfs`;
    await ensureDir(files, home, 0o710);
    await ensureDir(files, `${home}/dir`, 0o710);
    return new VfsDriver(home, files, runtime.env?.uid() === 0);
  }

  dir(id: string): string {
    checkLayerID(id);
    return `${this.home}/dir/${id}`;
  }

  async create(id: string, parent: string | undefined): Promise<void> {
    const dir = this.dir(id);
    const parentDir = parent === undefined ? undefined : await this.get(parent);
    await this.files.mkdir(dir, { mode: 0o755 });
    try {
      await this.files.chmod(dir, 0o755);
      if (parentDir !== undefined) await copyTree(this.files, parentDir, dir, { privileged: this.privileged });
    } catch (e) {
      await this.files.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  createReadWrite(id: string, parent: string | undefined): Promise<void> {
    return this.create(id, parent);
  }

  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    if (await this.files.lstat(dir)) await this.files.remove(dir, { recursive: true });
  }

  async get(id: string): Promise<string> {
    const dir = this.dir(id);
    if ((await this.files.lstat(dir))?.kind !== "dir") throw notFound(this.name, id);
    return dir;
  }

  async put(_id: string): Promise<void> {
    // Nothing is mounted.
  }

  async exists(id: string): Promise<boolean> {
    return (await this.files.lstat(this.dir(id)))?.kind === "dir";
  }

  async status(): Promise<DriverStatus> {
    return [["Backing Filesystem", await backingFilesystem(this.files, this.home)]];
  }

  async list(): Promise<string[]> {
    return (await this.files.lstat(`${this.home}/dir`)) ? this.files.readdir(`${this.home}/dir`) : [];
  }

  /** vfs has no paths to show: Docker reports `"Data": null`. */
  async metadata(_id: string): Promise<null> {
    return null;
  }

  async cleanup(): Promise<void> {
    // Nothing is mounted.
  }
}

/** mkdir -p with the exact mode on the last component (not masked by the umask). */
export async function ensureDir(files: FilesPort, path: string, mode: number): Promise<void> {
  const info = await files.lstat(path);
  if (info?.kind === "dir") return;
  if (info) throw new WharfError("IO", `${path} exists and is not a directory`, { errno: "ENOTDIR" });
  await files.mkdir(path, { recursive: true, mode });
  await files.chmod(path, mode);
}
