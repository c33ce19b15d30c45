/**
 * The layer store over a data-root's `image/<driver>/layerdb` and a graph driver (moby
 * `layer/layer_store.go`): registration in one pass, reference counts (each child holds one on
 * its parent), deletion down the chain, and restore on open that cleans what a crash left.
 */
import type { FilesPort, Runtime } from "../ports.ts";
import type { Driver } from "../graphdriver/driver.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { digestOf, parseDigest } from "../hash/digest.ts";
import { fileReadable } from "../io/file-stream.ts";
import type { ByteInput } from "../io/source.ts";
import type { ChainID, DiffID, Layer, LayerStore, RegisterOptions, RWLayer, RWLayerStore } from "./layer.ts";
import { LayerDB, TAR_SPLIT_FILE_NAME, type LayerRecord, type StagedLayer } from "./layerdb.ts";
import type { AppliedTar } from "./apply-tar.ts";
import { randomID } from "./random-id.ts";
import { registerChain, type ChainLayer, type RegisterChainOptions, type RegisterChainResult } from "./register-chain.ts";
import { restoreLayers } from "./restore.ts";
import { RWLayers, StoredRWLayer } from "./rw-layer.ts";
import { WORKER_WORTH_BYTES } from "../worker/client.ts";
import { DecodedTarSplits } from "./tar-length.ts";
import { chunksReadable } from "../io/bytes.ts";

export type { ChainLayer, RegisterChainOptions, RegisterChainResult } from "./register-chain.ts";

/** apply-tar.ts, loaded once (as archive/load-apply.ts loads apply.ts). */
let applyTarModule: Promise<typeof import("./apply-tar.ts")> | undefined;

export interface OpenLayerStoreOptions {
  runtime: Runtime;
  driver: Driver;
  /** `<root>/image/<driver>/layerdb`. */
  root: string;
  /** Where containers' mount counts persist (`<dir>/<name>/wharf-mounts`); default `<data root>/containers`. */
  mountCountsDir?: string;
}

/** A registered layer with its reference count. */
export class StoredLayer implements Layer {
  /** References: callers' (register/get) plus one per child layer. */
  refs = 0;
  constructor(
    private readonly store: DiskLayerStore,
    readonly chainID: ChainID,
    readonly diffID: DiffID,
    readonly parent: StoredLayer | undefined,
    readonly size: number,
    readonly cacheID: string,
  ) {}

  tarStream(): ReadableStream<Uint8Array> {
    return this.store.tarStreamOf(this);
  }

  tarLength(): Promise<number> {
    return this.store.tarLengthOf(this);
  }
}

/** Decoded tar-split kept between a layer's length and its stream (tar-length.ts), at most this much. */
const DECODED_TAR_SPLIT_BUDGET = 64 << 20;

/** A driver layer created (then filled) but not yet committed to the layerdb. */
export interface PreparedLayer {
  staged: StagedLayer;
  /** The driver ID it was created on; its parent may itself be uncommitted still. */
  parentCacheID: string | undefined;
}

export class DiskLayerStore implements LayerStore, RWLayerStore {
  readonly driver: Driver;
  readonly db: LayerDB;
  /** Problems met while restoring (unreadable layers, leftovers that could not be removed). */
  readonly warnings: string[] = [];
  private readonly files: FilesPort;
  private readonly layers = new Map<ChainID, StoredLayer>();
  /** Containers' read-write layers (`layerdb/mounts/`). */
  readonly rw: RWLayers;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly runtime: Runtime, driver: Driver, root: string, mountCountsDir: string) {
    if (!runtime.files) throw new WharfError("UNSUPPORTED", `the ${runtime.name} runtime has no file system for a layer store`);
    this.files = runtime.files;
    this.driver = driver;
    this.db = new LayerDB(this.files, root, runtime.random);
    this.rw = RWLayers.forStore(this.files, runtime.random, driver, this, root, mountCountsDir);
  }

  static async open(options: OpenLayerStoreOptions): Promise<DiskLayerStore> {
    // layerdb is `<data root>/image/<driver>/layerdb`.
    const mountCountsDir = options.mountCountsDir ?? `${options.root.split("/").slice(0, -3).join("/")}/containers`;
    const store = new DiskLayerStore(options.runtime, options.driver, options.root, mountCountsDir);
    await store.db.init();
    const restored = await restoreLayers(store.db, store.driver, store.files, store.warnings);
    for (const record of restored) store.adopt(record);
    await store.rw.restore(store.warnings);
    return store;
  }

  createRWLayer(name: string, parent: ChainID | undefined, init: (initDir: string) => Promise<void>): Promise<RWLayer> {
    return this.rw.create(name, parent, init);
  }

  getRWLayer(name: string): RWLayer | undefined {
    return this.rw.get(name);
  }

  releaseRWLayer(layer: RWLayer): Promise<ChainID[]> {
    if (!(layer instanceof StoredRWLayer)) throw new WharfError("NOT_FOUND", `read-write layer ${layer.name} is not in the store`);
    return this.rw.release(layer);
  }

  listRWLayers(): RWLayer[] {
    return this.rw.list();
  }

  /** Start-up check of containers' mounts against the kernel (see RWLayers.reconcile). */
  reconcileMounts(): Promise<void> {
    return this.rw.reconcile(this.warnings);
  }

  async register(tar: ByteInput, parent: ChainID | undefined, options: RegisterOptions = {}): Promise<Layer> {
    const parentLayer = parent === undefined ? undefined : this.retain(parent);
    try {
      const prepared = await this.prepare(parentLayer?.cacheID);
      let applied: AppliedTar;
      try {
        applied = await this.fill(prepared, tar);
        const expected = options.expectedDiffID;
        if (expected !== undefined && applied.diffID !== expected) {
          throw new DiffIDMismatchError(`invalid diffID: expected "${expected}", got "${applied.diffID}"`, expected, applied.diffID);
        }
      } catch (e) {
        await this.discard(prepared);
        throw e;
      }
      return await this.commit(prepared, applied, parentLayer);
    } finally {
      if (parentLayer) await this.release(parentLayer);
    }
  }

  /** Registers a chain whose diffIDs are known up front; see `register-chain.ts`. */
  registerChain(layers: readonly ChainLayer[], parent?: ChainID, options: RegisterChainOptions = {}): Promise<RegisterChainResult> {
    return registerChain(this, layers, parent, options);
  }

  get(chainID: ChainID): Layer | undefined {
    const layer = this.layers.get(chainID);
    if (layer) layer.refs++;
    return layer;
  }

  /** Whether the layer exists, without taking a reference. */
  has(chainID: ChainID): boolean {
    return this.layers.has(chainID);
  }

  list(): Layer[] {
    return [...this.layers.values()];
  }

  /** The chainID of `diffID` on top of `parent`. */
  chainIDOf(parent: ChainID | undefined, diffID: DiffID): ChainID {
    return parent === undefined ? diffID : digestOf(this.runtime.digests, new TextEncoder().encode(`${parent} ${diffID}`));
  }

  release(layer: Layer): Promise<ChainID[]> {
    return this.serial(async () => {
      let current = this.layers.get(layer.chainID);
      if (!current || current !== layer) throw new WharfError("NOT_FOUND", `layer ${layer.chainID} is not in the store`);
      if (current.refs <= 0) throw new WharfError("INVALID_ARGUMENT", `layer ${layer.chainID} is not retained`);
      const deleted: ChainID[] = [];
      current.refs--;
      while (current && current.refs === 0) {
        await this.deleteLayer(current);
        deleted.push(current.chainID);
        current = current.parent;
        if (current) current.refs--;
      }
      return deleted;
    });
  }

  /** Takes a reference on an existing layer or fails naming it. */
  retain(chainID: ChainID): StoredLayer {
    const layer = this.layers.get(parseDigest(chainID));
    if (!layer) throw new WharfError("NOT_FOUND", `layer ${chainID} does not exist`);
    layer.refs++;
    return layer;
  }

  /** Stages the metadata (cache-id first) and creates the driver's directory on the parent's. */
  async prepare(parentCacheID: string | undefined): Promise<PreparedLayer> {
    const staged = await this.db.stage(randomID(this.runtime.random));
    const prepared = { staged, parentCacheID };
    try {
      await this.driver.create(staged.cacheID, parentCacheID);
    } catch (e) {
      await this.discardQuietly(prepared);
      throw e;
    }
    return prepared;
  }

  /** Applies the tar into the prepared layer, recording its tar-split; gives diffID and size. */
  async fill(prepared: PreparedLayer, tar: ByteInput): Promise<AppliedTar> {
    const applier = await this.driver.applier(prepared.staged.cacheID, prepared.parentCacheID);
    // As in tarStreamOf: not loaded by commands that only list; once (see archive/load-apply.ts).
    const { applyLayerTar } = await (applyTarModule ??= import("./apply-tar.ts"));
    return applyLayerTar(tar, applier, `${prepared.staged.dir}/${TAR_SPLIT_FILE_NAME}`, this.files, this.runtime.digests, this.runtime.compression);
  }

  /**
   * Commits a filled layer under its chainID and takes a reference on it. When the chainID exists
   * already (another registration won), the new copy is discarded and the existing one referenced.
   */
  commit(prepared: PreparedLayer, applied: AppliedTar, parent: StoredLayer | undefined): Promise<StoredLayer> {
    const { diffID, size } = applied;
    if (parent?.cacheID !== prepared.parentCacheID) throw new WharfError("INVALID_ARGUMENT", `layer ${prepared.staged.cacheID} was not created on ${parent?.chainID ?? "no parent"}`);
    return this.serial(async () => {
      const chainID = this.chainIDOf(parent?.chainID, diffID);
      const existing = this.layers.get(chainID);
      if (existing) {
        await this.discardQuietly(prepared);
        existing.refs++;
        return existing;
      }
      const record: LayerRecord = { chainID, diffID, size, cacheID: prepared.staged.cacheID, parent: parent?.chainID };
      try {
        await this.db.commit(prepared.staged, record);
      } catch (e) {
        await this.discardQuietly(prepared);
        throw e;
      }
      const layer = this.adopt(record);
      layer.refs++;
      return layer;
    });
  }

  /** Removes the driver directory and the staged metadata of a layer that will not be committed. */
  async discard(prepared: PreparedLayer): Promise<void> {
    if (await this.driver.exists(prepared.staged.cacheID)) await this.driver.remove(prepared.staged.cacheID);
    await this.db.discard(prepared.staged);
  }

  private readonly decodedTarSplits = new DecodedTarSplits(DECODED_TAR_SPLIT_BUDGET);

  async tarLengthOf(layer: StoredLayer): Promise<number> {
    const [{ tarSplitTarLength }, { gunzipStream }] = await Promise.all([import("../tar/tarsplit-assemble.ts"), import("../compress/index.ts")]);
    const handle = await openTarSplit(this.files, this.db.tarSplitPath(layer.chainID), layer);
    try {
      const decoded = fileReadable(handle).pipeThrough(gunzipStream(this.runtime.compression));
      return await this.decodedTarSplits.measure(layer.chainID, decoded, tarSplitTarLength);
    } catch (e) {
      // Which layer's metadata is damaged: the codec's message alone names no file.
      if (!isWharfError(e)) throw e;
      throw new WharfError(e.code, `layer ${layer.chainID}: ${TAR_SPLIT_FILE_NAME}: ${e.message}`, { errno: e.errno, cause: e });
    }
  }

  tarStreamOf(layer: StoredLayer): ReadableStream<Uint8Array> {
    const files = this.files;
    const path = this.db.tarSplitPath(layer.chainID);
    const compression = this.runtime.compression;
    const driver = this.driver;
    const workers = this.runtime.workers;
    const decodedTarSplits = this.decodedTarSplits;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let closeGetter: (() => Promise<void>) | undefined;
    const finish = async () => {
      const close = closeGetter;
      closeGetter = undefined;
      await close?.();
    };
    return new ReadableStream<Uint8Array>({
      async start() {
        // Loaded when a layer is read back: commands that only list the store never parse them.
        const [{ assembleTar }, { crcOffload }, { gunzipStream }] = await Promise.all([
          import("../tar/tarsplit-assemble.ts"), import("../worker/crc-offload.ts"), import("../compress/index.ts"),
        ]);
        // Decoded already when the layer's length was just measured (a save), else from the file.
        const decoded = await decodedTarSplits.take(layer.chainID);
        const records = decoded ? chunksReadable(decoded) : fileReadable(await openTarSplit(files, path, layer)).pipeThrough(gunzipStream(compression));
        const getter = await driver.diffGetter(layer.cacheID).catch(async (e: unknown) => {
          await records.cancel().catch(() => {});
          throw e;
        });
        closeGetter = () => getter.close();
        // Large layers are read and checked on the worker.
        const worker = layer.size >= WORKER_WORTH_BYTES ? await crcOffload(workers) : undefined;
        const offload = worker && { worker, dir: getter.dir };
        reader = assembleTar(records, (name) => getter.get(name), getter.readInto?.bind(getter), offload).getReader();
      },
      async pull(controller) {
        try {
          const next = await reader!.read();
          if (next.done) {
            await finish();
            controller.close();
          } else controller.enqueue(next.value);
        } catch (e) {
          await finish().catch(() => {});
          controller.error(e);
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason).catch(() => {});
        await finish();
      },
    });
  }

  /** Adds a committed record to the in-memory graph (its parent must be loaded). */
  private adopt(record: LayerRecord): StoredLayer {
    const parent = record.parent === undefined ? undefined : this.layers.get(record.parent);
    if (record.parent !== undefined && !parent) throw new WharfError("NOT_FOUND", `parent layer ${record.parent} of ${record.chainID} does not exist`);
    const layer = new StoredLayer(this, record.chainID, record.diffID, parent, record.size, record.cacheID);
    if (parent) parent.refs++;
    this.layers.set(record.chainID, layer);
    return layer;
  }

  private async deleteLayer(layer: StoredLayer): Promise<void> {
    this.layers.delete(layer.chainID);
    this.decodedTarSplits.drop(layer.chainID);
    // Renamed first, so a crash before the driver removal is seen as a leftover, not a layer.
    const removing = await this.db.markRemoving(layer.chainID);
    if (await this.driver.exists(layer.cacheID)) await this.driver.remove(layer.cacheID);
    await this.db.removeDir(removing);
  }

  private async discardQuietly(prepared: PreparedLayer): Promise<void> {
    await this.discard(prepared).catch((e: unknown) => {
      this.warnings.push(`could not remove unfinished layer ${prepared.staged.cacheID}: ${(e as Error).message}`);
    });
  }

  /** Metadata changes run one at a time: commit and delete each check, then change, the map. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** A layer whose content does not hash to the diffID it was registered under. */
export class DiffIDMismatchError extends WharfError {
  constructor(message: string, readonly expected: DiffID, readonly actual: DiffID) {
    super("DIGEST_MISMATCH", message);
  }
}

async function openTarSplit(files: FilesPort, path: string, layer: Layer) {
  return files.open(path, "r").catch((e: unknown) => {
    if (isWharfError(e, "IO") && e.errno === "ENOENT") throw new WharfError("NOT_FOUND", `layer ${layer.chainID} has no ${TAR_SPLIT_FILE_NAME}`);
    throw e;
  });
}
