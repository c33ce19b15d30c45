/**
 * Containers' read-write layers (moby `layer/mounted_layer.go`, `layer_store.go` CreateRWLayer):
 * `<mountID>-init` on the image's top layer, filled through its own mount as moby's initMount
 * does, then `<mountID>` on the init layer; recorded in `layerdb/mounts/<name>/`. Each holds one
 * reference on its parent layer. Mounts are counted on disk (mounts-db.ts) so a `wharf mount`
 * outlives its process and two mounts need two unmounts, from any process at all.
 */
import type { FilesPort, RandomPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import type { Change, Driver } from "../graphdriver/driver.ts";
import type { ChainID, RWLayer } from "./layer.ts";
import { MountCounts, MountsDB, checkMountName, type MountRecord } from "./mounts-db.ts";
import { randomID } from "./random-id.ts";
import type { StoredLayer } from "./store.ts";

/** What the read-write layers need of the read-only store. */
export interface ParentLayers {
  retain(chainID: ChainID): StoredLayer;
  has(chainID: ChainID): boolean;
  release(layer: StoredLayer): Promise<ChainID[]>;
}

export class StoredRWLayer implements RWLayer {
  constructor(
    private readonly owner: RWLayers,
    readonly name: string,
    readonly mountID: string,
    readonly initID: string,
    readonly parent: StoredLayer | undefined,
  ) {}

  mount(): Promise<string> {
    return this.owner.mount(this);
  }

  unmount(): Promise<void> {
    return this.owner.unmount(this);
  }

  mountCount(): Promise<number> {
    return this.owner.counts.get(this.name);
  }

  changes(): Promise<Change[]> {
    return this.owner.driver.changes(this.mountID, this.initID);
  }

  tarStream(): ReadableStream<Uint8Array> {
    return this.owner.driver.diff(this.mountID, this.initID);
  }

  size(): Promise<number> {
    return this.owner.driver.diffSize(this.mountID, this.initID);
  }
}

export class RWLayers {
  private readonly layers = new Map<string, StoredRWLayer>();

  constructor(
    readonly driver: Driver,
    private readonly parents: ParentLayers,
    private readonly db: MountsDB,
    readonly counts: MountCounts,
    private readonly random: RandomPort,
  ) {}

  static forStore(files: FilesPort, random: RandomPort, driver: Driver, parents: ParentLayers, layerdbRoot: string, mountCountsDir: string): RWLayers {
    return new RWLayers(driver, parents, new MountsDB(files, layerdbRoot, random), new MountCounts(files, mountCountsDir), random);
  }

  /** Reloads every recorded mount and takes its parent reference; broken ones are reported and skipped. */
  async restore(warnings: string[]): Promise<void> {
    for (const name of await this.db.list()) {
      let record: MountRecord;
      try {
        record = await this.db.read(name);
      } catch (e) {
        warnings.push(`skipping container layer ${name}: ${(e as Error).message}`);
        continue;
      }
      if (record.parent !== undefined && !this.parents.has(record.parent)) {
        warnings.push(`skipping container layer ${name}: parent layer ${record.parent} does not exist`);
        continue;
      }
      const parent = record.parent === undefined ? undefined : this.parents.retain(record.parent);
      this.layers.set(name, new StoredRWLayer(this, name, record.mountID, record.initID, parent));
    }
  }

  /**
   * Start-up against the kernel's view: a count whose mount is gone (a crash after the unmount, a
   * reboot) is dropped; a mount no count owns (a crash before the count was written) is unmounted.
   */
  async reconcile(warnings: string[]): Promise<void> {
    const isMounted = this.driver.isMounted?.bind(this.driver);
    if (!isMounted) return; // nothing is ever mounted: counts are bookkeeping only
    for (const layer of this.layers.values()) {
      try {
        const count = await this.counts.get(layer.name);
        const mounted = await isMounted(layer.mountID);
        if (count > 0 && !mounted) {
          await this.counts.set(layer.name, 0);
          warnings.push(`container ${layer.name}: dropped ${count} stale mount${count === 1 ? "" : "s"} (not mounted)`);
        } else if (count === 0 && mounted) {
          await this.driver.put(layer.mountID);
          warnings.push(`container ${layer.name}: unmounted a mount left by an interrupted command`);
        }
      } catch (e) {
        warnings.push(`container ${layer.name}: could not check its mount: ${(e as Error).message}`);
      }
    }
  }

  async create(name: string, parent: ChainID | undefined, init: (initDir: string) => Promise<void>): Promise<StoredRWLayer> {
    checkMountName(name);
    if (this.layers.has(name)) throw new WharfError("CONFLICT", `mount already exists with name ${name}`);
    const parentLayer = parent === undefined ? undefined : this.parents.retain(parent);
    const mountID = randomID(this.random);
    const initID = `${mountID}-init`;
    try {
      await this.driver.createReadWrite(initID, parentLayer?.cacheID);
      // moby initMount: the init step runs on the init layer mounted over the image, so what the
      // image already has (a /proc dir) is kept and only what is new lands in the init layer.
      const initDir = await this.driver.get(initID);
      try {
        await init(initDir);
      } finally {
        await this.driver.put(initID);
      }
      await this.driver.createReadWrite(mountID, initID);
      await this.db.write({ name, mountID, initID, parent: parentLayer?.chainID });
    } catch (e) {
      for (const id of [mountID, initID]) await this.driver.remove(id).catch(() => {});
      if (parentLayer) await this.parents.release(parentLayer).catch(() => {});
      throw e;
    }
    const layer = new StoredRWLayer(this, name, mountID, initID, parentLayer);
    this.layers.set(name, layer);
    return layer;
  }

  get(name: string): StoredRWLayer | undefined {
    return this.layers.get(name);
  }

  list(): StoredRWLayer[] {
    return [...this.layers.values()];
  }

  /** Mounts first, then counts: a crash in between leaves a mount no count owns, which start-up unmounts. */
  async mount(layer: StoredRWLayer): Promise<string> {
    this.check(layer);
    const count = await this.counts.get(layer.name);
    const path = await this.driver.get(layer.mountID);
    try {
      await this.counts.set(layer.name, count + 1);
    } catch (e) {
      await this.driver.put(layer.mountID).catch(() => {});
      throw e;
    }
    this.driver.keepMounted?.(layer.mountID);
    return path;
  }

  /** The last unmount unmounts, then clears the count: a crash in between leaves a stale count, dropped at start-up. */
  async unmount(layer: StoredRWLayer): Promise<void> {
    this.check(layer);
    const count = await this.counts.get(layer.name);
    if (count === 0) throw new WharfError("INVALID_ARGUMENT", `container ${layer.name} is not mounted`);
    if (count === 1) await this.driver.put(layer.mountID);
    await this.counts.set(layer.name, count - 1);
  }

  /**
   * Unmounts whatever is outstanding, takes the record out (so a crash past this point leaves
   * only driver dirs, which start-up sweeps as orphans), removes both layers, releases the parent.
   */
  async release(layer: StoredRWLayer): Promise<ChainID[]> {
    this.check(layer);
    if (this.driver.isMounted && (await this.driver.isMounted(layer.mountID))) await this.driver.put(layer.mountID);
    await this.counts.set(layer.name, 0);
    await this.db.remove(layer.name);
    this.layers.delete(layer.name);
    await this.driver.remove(layer.mountID);
    await this.driver.remove(layer.initID);
    return layer.parent ? this.parents.release(layer.parent) : [];
  }

  private check(layer: StoredRWLayer): void {
    if (this.layers.get(layer.name) !== layer) throw new WharfError("NOT_FOUND", `read-write layer ${layer.name} is not in the store`);
  }
}
