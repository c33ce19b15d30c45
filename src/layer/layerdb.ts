/**
 * The on-disk `layerdb/` (moby `layer/filestore.go`): one directory per chainID holding `diff`,
 * `size`, `cache-id`, `parent` and `tar-split.json.gz`. A new layer's files are staged in
 * `tmp/write-set-*` and the directory is renamed into `sha256/` in one step; a deleted layer is
 * first renamed to `<hex>-<random>-removing`, so a crash never leaves a half layer under its name.
 */
import type { FilesPort, RandomPort } from "../ports.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { digestHex, formatDigest, parseDigest } from "../hash/digest.ts";
import type { ChainID, DiffID } from "./layer.ts";
import { randomID } from "./random-id.ts";

/** What a layer directory records. */
export interface LayerRecord {
  chainID: ChainID;
  diffID: DiffID;
  size: number;
  cacheID: string;
  parent: ChainID | undefined;
}

/** A layer directory being written in `tmp/`; `cache-id` is in it from the start. */
export interface StagedLayer {
  readonly dir: string;
  readonly cacheID: string;
}

/** What `scan()` finds under the layerdb. */
export interface LayerDBListing {
  /** chainID hex names of committed layers. */
  layers: string[];
  /** Directories left by an interrupted delete (`*-removing`), full paths. */
  removing: string[];
  /** Directories left by an interrupted registration (`tmp/*`), full paths. */
  staged: string[];
  /** Names under `sha256/` that are none of the above. */
  unknown: string[];
}

export const TAR_SPLIT_FILE_NAME = "tar-split.json.gz";
const METADATA_MODE = 0o644;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LayerDB {
  readonly sha256Dir: string;
  readonly tmpDir: string;

  constructor(private readonly files: FilesPort, readonly root: string, private readonly random: RandomPort) {
    this.sha256Dir = `${root}/sha256`;
    this.tmpDir = `${root}/tmp`;
  }

  /** Creates the directories with Docker's modes (layerdb 0700, sha256 0755, tmp 0700). */
  async init(): Promise<void> {
    await ensureDir(this.files, this.root, 0o700);
    await ensureDir(this.files, this.sha256Dir, 0o755);
    await ensureDir(this.files, this.tmpDir, 0o700);
  }

  layerDir(chainID: ChainID): string {
    return `${this.sha256Dir}/${digestHex(chainID)}`;
  }

  tarSplitPath(chainID: ChainID): string {
    return `${this.layerDir(chainID)}/${TAR_SPLIT_FILE_NAME}`;
  }

  /**
   * Starts a layer: a fresh `tmp/write-set-*` directory with `cache-id` already written, so that
   * a process killed after the driver created its directory can still find and remove it. Not
   * synced here (a pull prepares while other layers fill, and an fsync then waits on their
   * writes): after a power cut an uncommitted layer may lose it and leave its driver directory
   * behind, as Docker's does (it writes cache-id only at commit). `commit` writes it durably.
   */
  async stage(cacheID: string): Promise<StagedLayer> {
    const dir = `${this.tmpDir}/write-set-${randomID(this.random).slice(0, 16)}`;
    const ops = this.files.blocking ?? this.files;
    await ops.mkdir(dir, { mode: 0o700 });
    await ops.chmod(dir, 0o700);
    await writeFileAtomic(this.files, `${dir}/cache-id`, encoder.encode(cacheID), { mode: METADATA_MODE, durable: false });
    return { dir, cacheID };
  }

  /** Writes the remaining metadata into the staged directory and renames it to its chainID. */
  async commit(staged: StagedLayer, record: LayerRecord): Promise<void> {
    const write = (name: string, text: string) => writeFileAtomic(this.files, `${staged.dir}/${name}`, encoder.encode(text), { mode: METADATA_MODE });
    // Separate files: written (and synced) at once, before the directory's rename publishes them;
    // cache-id again, durably this time (stage did not sync it).
    await Promise.all([write("cache-id", staged.cacheID), write("diff", record.diffID), write("size", String(record.size)), record.parent === undefined ? undefined : write("parent", record.parent)]);
    const target = this.layerDir(record.chainID);
    if (await this.files.lstat(target)) throw new WharfError("IO", `layer ${record.chainID} already exists in ${this.sha256Dir}`);
    await this.files.rename(staged.dir, target);
    await syncDir(this.files, this.sha256Dir);
  }

  /** Removes a staged directory (registration failed or the layer existed already). */
  async discard(staged: StagedLayer | string): Promise<void> {
    await removeIfExists(this.files, typeof staged === "string" ? staged : staged.dir);
  }

  /** Renames a layer's directory out of the way; the caller removes the returned path. */
  async markRemoving(chainID: ChainID): Promise<string> {
    const hex = digestHex(chainID);
    const dir = `${this.sha256Dir}/${hex}-${randomID(this.random)}-removing`;
    await this.files.rename(`${this.sha256Dir}/${hex}`, dir);
    return dir;
  }

  async removeDir(path: string): Promise<void> {
    await removeIfExists(this.files, path);
  }

  /** Reads one committed layer; throws a one-line error naming the file and the cause. */
  async read(hex: string): Promise<LayerRecord> {
    const dir = `${this.sha256Dir}/${hex}`;
    const chainID = formatDigest(hex);
    // The four files at once: restore reads every layer of the store.
    const [diffText, sizeText, cacheID, parentText] = await Promise.all([
      this.readText(`${dir}/diff`),
      this.readText(`${dir}/size`),
      this.readText(`${dir}/cache-id`),
      this.files.lstat(`${dir}/parent`).then((info) => (info ? this.readText(`${dir}/parent`) : "")),
    ]);
    const diffID = parseDigest(diffText);
    if (!/^[0-9]+$/.test(sizeText)) throw new WharfError("INVALID_ARGUMENT", `${dir}/size: not a decimal size: ${JSON.stringify(sizeText.slice(0, 40))}`);
    if (cacheID === "" || cacheID.includes("/")) throw new WharfError("INVALID_ARGUMENT", `${dir}/cache-id: invalid driver id ${JSON.stringify(cacheID.slice(0, 80))}`);
    const parent = parentText === "" ? undefined : parseDigest(parentText);
    return { chainID, diffID, size: Number(sizeText), cacheID, parent };
  }

  /** The driver ID a directory's `cache-id` (or `name`) holds, or undefined when it has none. */
  async leftoverCacheID(dir: string, name = "cache-id"): Promise<string | undefined> {
    const path = `${dir}/${name}`;
    if (!(await this.files.lstat(path))) return undefined;
    const id = await this.readText(path);
    return id === "" || id.includes("/") ? undefined : id;
  }

  async scan(): Promise<LayerDBListing> {
    const listing: LayerDBListing = { layers: [], removing: [], staged: [], unknown: [] };
    for (const name of (await this.files.readdir(this.sha256Dir)).sort()) {
      if (/^[0-9a-f]{64}$/.test(name)) listing.layers.push(name);
      else if (name.endsWith("-removing")) listing.removing.push(`${this.sha256Dir}/${name}`);
      else listing.unknown.push(name);
    }
    for (const name of (await this.files.readdir(this.tmpDir)).sort()) listing.staged.push(`${this.tmpDir}/${name}`);
    return listing;
  }

  private readText(path: string): Promise<string> {
    return readMetadataText(this.files, path);
  }
}

/** A metadata file's text, trimmed; a missing file is NOT_FOUND naming it. */
export async function readMetadataText(files: FilesPort, path: string): Promise<string> {
  try {
    return decoder.decode(await files.readFile(path)).trim();
  } catch (e) {
    if (isWharfError(e, "IO") && e.errno === "ENOENT") throw new WharfError("NOT_FOUND", `${path} is missing`, { cause: e });
    throw e;
  }
}

/** Creates `path` (and parents) and sets its exact mode. */
export async function ensureDir(files: FilesPort, path: string, mode: number): Promise<void> {
  const info = await files.lstat(path);
  if (info) {
    if (info.kind !== "dir") throw new WharfError("IO", `${path} exists and is not a directory`);
    return;
  }
  await files.mkdir(path, { recursive: true, mode });
  await files.chmod(path, mode);
}

export async function removeIfExists(files: FilesPort, path: string): Promise<void> {
  if (await files.lstat(path)) await files.remove(path, { recursive: true });
}

/** fsync of the directory makes the rename durable; file systems that refuse are skipped. */
async function syncDir(files: FilesPort, dir: string): Promise<void> {
  let handle;
  try {
    handle = await files.open(dir, "r");
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // fsync on a directory is not possible everywhere (EINVAL); the rename still happened.
  } finally {
    await handle.close();
  }
}
