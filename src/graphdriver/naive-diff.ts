/**
 * moby NaiveDiffDriver: Diff, Changes, ApplyDiff and DiffSize for a driver without a native diff,
 * by mounting the layer (and its parent) and walking the trees.
 */
import type { FilesPort, Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { SMALL_ENTRIES_BATCH, writeTar } from "../tar/writer.ts";
import type { TarEntry } from "../tar/reader.ts";
import type { Change, DiffDriver, DiffGetter, Driver, LayerApplier, ProtoDriver } from "./driver.ts";
import { layerFileGetter } from "./diff-getter.ts";
import { readyWorkerClient, type WorkerClient } from "../worker/client.ts";
import { loadApply } from "../archive/load-apply.ts";

/** `driver` with naive diff abilities; the ProtoDriver methods are passed through. */
export function withNaiveDiff(driver: ProtoDriver, runtime: Runtime): Driver {
  const files = runtime.files;
  if (!files) throw new WharfError("UNSUPPORTED", `${driver.name}: this runtime has no file system`);
  const privileged = runtime.env?.uid() === 0;
  const naive = new NaiveDiff(driver, files, privileged, () => runtime.clock.now().seconds, () => readyWorkerClient(runtime.workers));
  return {
    get name() { return driver.name; },
    get home() { return driver.home; },
    get independentLayers() { return driver.independentLayers; },
    create: (id, parent, options) => driver.create(id, parent, options),
    createReadWrite: (id, parent, options) => driver.createReadWrite(id, parent, options),
    remove: (id) => driver.remove(id),
    get: (id) => driver.get(id),
    put: (id) => driver.put(id),
    exists: (id) => driver.exists(id),
    status: () => driver.status(),
    metadata: (id) => driver.metadata(id),
    list: () => driver.list(),
    cleanup: () => driver.cleanup(),
    applier: (id, parent) => naive.applier(id, parent),
    diff: (id, parent) => naive.diff(id, parent),
    changes: (id, parent) => naive.changes(id, parent),
    diffSize: (id, parent) => naive.diffSize(id, parent),
    diffGetter: (id) => naive.diffGetter(id),
  };
}

class NaiveDiff implements DiffDriver {
  constructor(
    private readonly driver: ProtoDriver,
    private readonly files: FilesPort,
    private readonly privileged: boolean,
    private readonly nowSeconds: () => number,
    private readonly worker: () => WorkerClient | undefined,
  ) {}

  /** Applies into the mounted layer with whiteouts as deletions; the size is the tar headers' sum. */
  async applier(id: string, _parent: string | undefined): Promise<LayerApplier> {
    const dir = await this.driver.get(id);
    const { LayerExtractor } = await loadApply();
    const extractor = new LayerExtractor(this.files, dir, { whiteouts: "delete", privileged: this.privileged, worker: this.worker });
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await this.driver.put(id);
    };
    return {
      apply: async (entry: TarEntry) => {
        try {
          await extractor.apply(entry);
        } catch (e) {
          await extractor.settle().catch(() => {});
          await release();
          throw e;
        }
      },
      settle: () => extractor.settle().catch(() => {}),
      finish: async () => {
        try {
          return await extractor.finish();
        } finally {
          await release();
        }
      },
    };
  }

  diff(id: string, parent: string | undefined): ReadableStream<Uint8Array> {
    const self = this;
    async function* entries() {
      const { changes, layerDir, done } = await self.mountAndCompare(id, parent);
      try {
        const { exportChanges } = await import("../archive/diff-tar.ts");
        yield* exportChanges(self.files, layerDir, changes, self.nowSeconds());
      } finally {
        await done();
      }
    }
    return writeTar(entries(), { batch: SMALL_ENTRIES_BATCH });
  }

  async changes(id: string, parent: string | undefined): Promise<Change[]> {
    const { changes, done } = await this.mountAndCompare(id, parent);
    await done();
    return changes;
  }

  /** moby: ChangesSize of the changes (added and changed files, hard links once). */
  async diffSize(id: string, parent: string | undefined): Promise<number> {
    const { changes, layerDir, done } = await this.mountAndCompare(id, parent);
    try {
      const { changesSize } = await import("../archive/changes.ts");
      return await changesSize(this.files, layerDir, changes);
    } finally {
      await done();
    }
  }

  async diffGetter(id: string): Promise<DiffGetter> {
    const dir = await this.driver.get(id);
    return layerFileGetter(this.files, dir, () => this.driver.put(id));
  }

  private async mountAndCompare(id: string, parent: string | undefined) {
    const layerDir = await this.driver.get(id);
    let parentDir: string | undefined;
    try {
      if (parent !== undefined) parentDir = await this.driver.get(parent);
      const { changesDirs } = await import("../archive/changes.ts");
      const changes = await changesDirs(this.files, layerDir, parentDir);
      const done = async (): Promise<void> => {
        if (parent !== undefined) await this.driver.put(parent);
        await this.driver.put(id);
      };
      return { changes, layerDir, done };
    } catch (e) {
      if (parentDir !== undefined) await this.driver.put(parent!).catch(() => {});
      await this.driver.put(id).catch(() => {});
      throw e;
    }
  }
}
