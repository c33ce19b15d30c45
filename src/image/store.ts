/**
 * The image store over `image/<driver>/imagedb` (moby `image/store.go` and `fs.go`): configs
 * kept byte for byte under their sha256, re-hashed on every read; per-image metadata files; each
 * image holds a reference on its top layer, so layer counts are rebuilt from images on open.
 */
import type { DigesterFactory, FilesPort } from "../ports.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { chainID as chainIDOf, digestHex, digestOf, formatDigest, parseDigest } from "../hash/digest.ts";
import type { ChainID, Layer, LayerStore } from "../layer/layer.ts";
import { ensureDir, removeIfExists } from "../layer/layerdb.ts";
import type { ImageID, ImageStore, StoredImage } from "./image.ts";
import { parseImageConfig } from "./config.ts";

export interface OpenImageStoreOptions {
  files: FilesPort;
  digests: DigesterFactory;
  /** `<root>/image/<driver>`; the store lives in its `imagedb/`. */
  root: string;
  layers: LayerStore;
}

interface ImageEntry {
  topLayer: Layer | undefined;
  parent: ImageID | undefined;
  children: Set<ImageID>;
}

const METADATA_MODE = 0o600;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class DiskImageStore implements ImageStore {
  /** Images skipped on open (unreadable, digest mismatch, missing layers), one line each. */
  readonly warnings: string[] = [];
  private readonly images = new Map<ImageID, ImageEntry>();
  private readonly contentDir: string;
  private readonly metadataDir: string;

  private constructor(private readonly files: FilesPort, private readonly digests: DigesterFactory, private readonly layers: LayerStore, root: string) {
    this.contentDir = `${root}/imagedb/content/sha256`;
    this.metadataDir = `${root}/imagedb/metadata/sha256`;
  }

  static async open(options: OpenImageStoreOptions): Promise<DiskImageStore> {
    const store = new DiskImageStore(options.files, options.digests, options.layers, options.root);
    for (const dir of [`${options.root}/imagedb`, `${options.root}/imagedb/content`, store.contentDir, `${options.root}/imagedb/metadata`, store.metadataDir]) {
      await ensureDir(options.files, dir, 0o700);
    }
    await store.restore();
    return store;
  }

  async create(rawConfig: Uint8Array): Promise<ImageID> {
    const id = digestOf(this.digests, rawConfig);
    const config = parseImageConfig(rawConfig, `image config ${id}`);
    if (this.images.has(id)) return id;
    const topLayer = this.takeTopLayer(config.rootfs.diff_ids, id);
    try {
      await writeFileAtomic(this.files, this.contentPath(id), rawConfig, { mode: METADATA_MODE });
    } catch (e) {
      if (topLayer) await this.layers.release(topLayer);
      throw e;
    }
    this.images.set(id, { topLayer, parent: undefined, children: new Set() });
    return id;
  }

  async get(id: ImageID): Promise<StoredImage> {
    const rawConfig = await this.readContent(parseDigest(id));
    const config = parseImageConfig(rawConfig, `image config ${id}`);
    const diffIDs = config.rootfs.diff_ids;
    return { id, rawConfig, config, topLayer: diffIDs.length > 0 ? chainIDOf(this.digests, diffIDs) : undefined };
  }

  search(idOrPrefix: string): ImageID {
    const hex = idOrPrefix.startsWith("sha256:") ? idOrPrefix.slice("sha256:".length) : idOrPrefix;
    if (!/^[0-9a-f]{1,64}$/.test(hex)) throw new WharfError("INVALID_ARGUMENT", `invalid image ID ${JSON.stringify(idOrPrefix)}: expected hex characters`);
    const matches = [...this.images.keys()].filter((id) => id.startsWith(`sha256:${hex}`));
    if (matches.length === 0) throw new WharfError("NOT_FOUND", `no such image: ${idOrPrefix}`);
    if (matches.length > 1) throw new WharfError("INVALID_ARGUMENT", `image ID prefix ${idOrPrefix} is ambiguous`);
    return matches[0]!;
  }

  async delete(id: ImageID): Promise<ChainID[]> {
    const entry = this.entry(id);
    for (const child of entry.children) {
      await removeIfExists(this.files, this.metadataPath(child, "parent"));
      const childEntry = this.images.get(child);
      if (childEntry) childEntry.parent = undefined;
    }
    if (entry.parent !== undefined) this.images.get(entry.parent)?.children.delete(id);
    this.images.delete(id);
    await removeIfExists(this.files, this.contentPath(id));
    await removeIfExists(this.files, `${this.metadataDir}/${digestHex(id)}`);
    return entry.topLayer ? this.layers.release(entry.topLayer) : [];
  }

  async setParent(id: ImageID, parent: ImageID): Promise<void> {
    const entry = this.entry(id);
    const parentEntry = this.entry(parent);
    await this.writeMetadata(id, "parent", encoder.encode(parent));
    if (entry.parent !== undefined) this.images.get(entry.parent)?.children.delete(id);
    entry.parent = parent;
    parentEntry.children.add(id);
  }

  async getParent(id: ImageID): Promise<ImageID | undefined> {
    this.entry(id);
    const text = await this.readMetadata(id, "parent");
    return text === undefined ? undefined : parseDigest(decoder.decode(text).trim());
  }

  children(id: ImageID): ImageID[] {
    return [...this.entry(id).children].sort();
  }

  async setLastUpdated(id: ImageID, when: string): Promise<void> {
    this.entry(id);
    await this.writeMetadata(id, "lastUpdated", encoder.encode(when));
  }

  async getLastUpdated(id: ImageID): Promise<string | undefined> {
    this.entry(id);
    const bytes = await this.readMetadata(id, "lastUpdated");
    return bytes === undefined ? undefined : decoder.decode(bytes);
  }

  /** Marks an image as built here (`builtLocally`, one byte 0x01). */
  async setBuiltLocally(id: ImageID): Promise<void> {
    this.entry(id);
    await this.writeMetadata(id, "builtLocally", new Uint8Array([1]));
  }

  async isBuiltLocally(id: ImageID): Promise<boolean> {
    this.entry(id);
    const bytes = await this.readMetadata(id, "builtLocally");
    return bytes !== undefined && bytes.length === 1 && bytes[0] === 1;
  }

  list(): ImageID[] {
    return [...this.images.keys()].sort();
  }

  /** The image's top layer as the store holds it (no new reference). */
  topLayer(id: ImageID): Layer | undefined {
    return this.entry(id).topLayer;
  }

  private async restore(): Promise<void> {
    const names = (await this.files.readdir(this.contentDir)).sort();
    // Configs are read and hashed concurrently, then adopted in name order (as a sequential walk).
    const ids = names.map((name) => (/^[0-9a-f]{64}$/.test(name) ? formatDigest(name) : undefined));
    const contents = await Promise.all(ids.map((id) => (id === undefined ? undefined : settle(this.readContent(id)))));
    for (const [i, name] of names.entries()) {
      const id = ids[i];
      if (id === undefined) {
        if (!name.startsWith(".")) this.warnings.push(`ignoring unexpected entry ${this.contentDir}/${name}`);
        continue;
      }
      try {
        const config = parseImageConfig(unwrap(contents[i]!), `image config ${id}`);
        const topLayer = this.takeTopLayer(config.rootfs.diff_ids, id);
        this.images.set(id, { topLayer, parent: undefined, children: new Set() });
      } catch (e) {
        this.warnings.push(`skipping image ${id}: ${(e as Error).message}`);
      }
    }
    const entries = [...this.images];
    const parents = await Promise.all(entries.map(([id]) => settle(this.getParent(id))));
    for (const [i, [id, entry]] of entries.entries()) {
      try {
        const parent = unwrap(parents[i]!);
        const parentEntry = parent === undefined ? undefined : this.images.get(parent);
        if (parentEntry) {
          entry.parent = parent;
          parentEntry.children.add(id);
        }
      } catch (e) {
        this.warnings.push(`ignoring parent of image ${id}: ${(e as Error).message}`);
      }
    }
  }

  /** References the layer a config's diff_ids end at; undefined for an image without layers. */
  private takeTopLayer(diffIDs: readonly string[], id: ImageID): Layer | undefined {
    if (diffIDs.length === 0) return undefined;
    const top = chainIDOf(this.digests, diffIDs);
    const layer = this.layers.get(top);
    if (!layer) throw new WharfError("NOT_FOUND", `layer ${top} of image ${id} does not exist`);
    return layer;
  }

  private entry(id: ImageID): ImageEntry {
    const entry = this.images.get(id);
    if (!entry) throw new WharfError("NOT_FOUND", `no such image: ${id}`);
    return entry;
  }

  private async readContent(id: ImageID): Promise<Uint8Array> {
    const path = this.contentPath(id);
    let raw: Uint8Array;
    try {
      raw = await this.files.readFile(path);
    } catch (e) {
      if (isWharfError(e, "IO") && e.errno === "ENOENT") throw new WharfError("NOT_FOUND", `no such image: ${id}`, { cause: e });
      throw e;
    }
    const actual = digestOf(this.digests, raw);
    if (actual !== id) throw new WharfError("DIGEST_MISMATCH", `image config ${path} failed its digest check: content hashes to ${actual}`);
    return raw;
  }

  private contentPath(id: ImageID): string {
    return `${this.contentDir}/${digestHex(id)}`;
  }

  private metadataPath(id: ImageID, key: string): string {
    return `${this.metadataDir}/${digestHex(id)}/${key}`;
  }

  private async writeMetadata(id: ImageID, key: string, data: Uint8Array): Promise<void> {
    await ensureDir(this.files, `${this.metadataDir}/${digestHex(id)}`, 0o700);
    await writeFileAtomic(this.files, this.metadataPath(id, key), data, { mode: METADATA_MODE });
  }

  private async readMetadata(id: ImageID, key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.files.readFile(this.metadataPath(id, key));
    } catch (e) {
      if (isWharfError(e, "IO") && e.errno === "ENOENT") return undefined;
      throw e;
    }
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise's outcome as a value, so many can be awaited together and handled in order. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

function unwrap<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}
