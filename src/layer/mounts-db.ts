/**
 * Containers' layers on disk (moby `layer/filestore.go` mounts): `layerdb/mounts/<name>/` (dir
 * 0755) with `mount-id`, `init-id` and, when the image has layers, `parent` (files 0644, no
 * newline). A record is staged in `layerdb/tmp/` and renamed into place, so it appears whole or
 * not at all; removal renames it back to `tmp/` first. Beside it, wharf's own mount counts:
 * `<containers dir>/<name>/wharf-mounts` (decimal, absent = 0), kept across processes because a
 * `wharf mount` outlives the process that made it.
 */
import type { FilesPort, RandomPort } from "../ports.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { parseDigest } from "../hash/digest.ts";
import type { ChainID } from "./layer.ts";
import { ensureDir, readMetadataText, removeIfExists } from "./layerdb.ts";
import { randomID } from "./random-id.ts";

export interface MountRecord {
  name: string;
  mountID: string;
  initID: string;
  parent: ChainID | undefined;
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const MOUNT_COUNT_FILE = "wharf-mounts";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A name usable as one path component (container IDs and names are). */
export function checkMountName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new WharfError("INVALID_ARGUMENT", `invalid read-write layer name ${JSON.stringify(name)}`);
}

export class MountsDB {
  readonly dir: string;
  private readonly tmpDir: string;

  /** `layerdbRoot`: `<root>/image/<driver>/layerdb`. */
  constructor(private readonly files: FilesPort, layerdbRoot: string, private readonly random: RandomPort) {
    this.dir = `${layerdbRoot}/mounts`;
    this.tmpDir = `${layerdbRoot}/tmp`;
  }

  /** Names of the recorded mounts; none when `mounts/` was never created (Docker makes it lazily). */
  async list(): Promise<string[]> {
    if (!(await this.files.lstat(this.dir))) return [];
    return (await this.files.readdir(this.dir)).sort();
  }

  async write(record: MountRecord): Promise<void> {
    checkMountName(record.name);
    const target = `${this.dir}/${record.name}`;
    if (await this.files.lstat(target)) throw new WharfError("CONFLICT", `mount already exists with name ${record.name}`);
    await ensureDir(this.files, this.dir, DIR_MODE);
    const staged = `${this.tmpDir}/mount-${randomID(this.random).slice(0, 16)}`;
    await this.files.mkdir(staged, { mode: DIR_MODE });
    try {
      await this.files.chmod(staged, DIR_MODE);
      const write = (name: string, text: string) => writeFileAtomic(this.files, `${staged}/${name}`, encoder.encode(text), { mode: FILE_MODE });
      await write("mount-id", record.mountID);
      await write("init-id", record.initID);
      if (record.parent !== undefined) await write("parent", record.parent);
      await this.files.rename(staged, target);
    } catch (e) {
      await removeIfExists(this.files, staged).catch(() => {});
      throw e;
    }
  }

  async read(name: string): Promise<MountRecord> {
    checkMountName(name);
    const dir = `${this.dir}/${name}`;
    const mountID = await this.readText(`${dir}/mount-id`);
    if (!/^[0-9a-f]{64}$/.test(mountID)) throw new WharfError("INVALID_ARGUMENT", `${dir}/mount-id: not a layer ID: ${JSON.stringify(mountID.slice(0, 80))}`);
    const initID = await this.readText(`${dir}/init-id`);
    if (initID !== `${mountID}-init`) throw new WharfError("INVALID_ARGUMENT", `${dir}/init-id: expected ${mountID}-init, got ${JSON.stringify(initID.slice(0, 80))}`);
    const parentText = (await this.files.lstat(`${dir}/parent`)) ? await this.readText(`${dir}/parent`) : "";
    return { name, mountID, initID, parent: parentText === "" ? undefined : parseDigest(parentText) };
  }

  /** Takes the record out of `mounts/` in one rename, then deletes it; its driver dirs are the caller's. */
  async remove(name: string): Promise<void> {
    checkMountName(name);
    const removing = `${this.tmpDir}/mount-${randomID(this.random).slice(0, 16)}-removing`;
    await this.files.rename(`${this.dir}/${name}`, removing);
    await removeIfExists(this.files, removing);
    // The last container gone leaves the root as it was before the first one: no empty mounts/.
    if ((await this.files.readdir(this.dir)).length === 0) await removeIfExists(this.files, this.dir);
  }

  private readText(path: string): Promise<string> {
    return readMetadataText(this.files, path);
  }
}

/** Persisted mount counts, one small file per read-write layer under wharf's containers dir. */
export class MountCounts {
  constructor(private readonly files: FilesPort, readonly dir: string) {}

  path(name: string): string {
    return `${this.dir}/${name}/${MOUNT_COUNT_FILE}`;
  }

  async get(name: string): Promise<number> {
    const path = this.path(name);
    let text: string;
    try {
      text = decoder.decode(await this.files.readFile(path)).trim();
    } catch (e) {
      if (isWharfError(e, "IO") && e.errno === "ENOENT") return 0;
      throw e;
    }
    if (!/^[0-9]+$/.test(text)) throw new WharfError("INVALID_ARGUMENT", `${path}: not a mount count: ${JSON.stringify(text.slice(0, 40))}`);
    return Number(text);
  }

  /** Writes the count atomically; 0 removes the file. */
  async set(name: string, count: number): Promise<void> {
    const path = this.path(name);
    if (count <= 0) {
      await removeIfExists(this.files, path);
      return;
    }
    await ensureDir(this.files, `${this.dir}/${name}`, 0o700);
    await writeFileAtomic(this.files, path, encoder.encode(String(count)), { mode: 0o600 });
  }
}
