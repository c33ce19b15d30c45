/**
 * Restore on open (moby `layerStore` start-up): cleans what an interrupted registration or
 * delete left behind, then reads every layer and orders them parent-first. Anything unreadable is
 * reported in `warnings` and skipped, never fatal: one broken layer must not lock a user out.
 */
import type { Driver } from "../graphdriver/driver.ts";
import type { FilesPort } from "../ports.ts";
import type { ChainID } from "./layer.ts";
import type { LayerDB, LayerRecord } from "./layerdb.ts";

export async function restoreLayers(db: LayerDB, driver: Driver, files: FilesPort, warnings: string[]): Promise<LayerRecord[]> {
  const listing = await db.scan();
  // Leftovers name their driver directory in `cache-id` (written before the driver created it).
  for (const dir of [...listing.staged, ...listing.removing]) {
    try {
      const cacheID = await db.leftoverCacheID(dir);
      if (cacheID !== undefined && (await driver.exists(cacheID))) await driver.remove(cacheID);
      await db.discard(dir);
    } catch (e) {
      warnings.push(`could not remove leftover ${dir}: ${(e as Error).message}`);
    }
  }
  for (const name of listing.unknown) warnings.push(`ignoring unexpected entry ${db.sha256Dir}/${name}`);

  const records = new Map<ChainID, LayerRecord>();
  const referenced = new Set<string>();
  // Read concurrently (four small files a layer), then adopted in listing order so warnings
  // come out in a stable order: a cold `wharf images` pays one round of reads, not one per layer.
  const reads = await Promise.all(listing.layers.map((hex) => db.read(hex).then((record) => ({ hex, record }), (error: Error) => ({ hex, error }))));
  for (const read of reads) {
    if ("record" in read) {
      records.set(read.record.chainID, read.record);
      referenced.add(read.record.cacheID);
      continue;
    }
    warnings.push(`skipping layer sha256:${read.hex}: ${read.error.message}`);
    const cacheID = await db.leftoverCacheID(`${db.sha256Dir}/${read.hex}`).catch(() => undefined);
    if (cacheID !== undefined) referenced.add(cacheID); // kept on disk, so its driver dir is too
  }
  const ordered = parentFirst(records, warnings);
  await removeOrphans(driver, db, files, referenced, warnings);
  return ordered;
}

/** Parent-first order; a layer whose parent is missing or broken is skipped with its descendants. */
function parentFirst(records: Map<ChainID, LayerRecord>, warnings: string[]): LayerRecord[] {
  const ordered: LayerRecord[] = [];
  const state = new Map<ChainID, "visiting" | "ok" | "broken">();
  const visit = (record: LayerRecord): boolean => {
    const known = state.get(record.chainID);
    if (known === "ok") return true;
    if (known === "broken") return false;
    if (known === "visiting") {
      warnings.push(`skipping layer ${record.chainID}: its parent chain loops`);
      state.set(record.chainID, "broken");
      return false;
    }
    state.set(record.chainID, "visiting");
    let ok = true;
    if (record.parent !== undefined) {
      const parent = records.get(record.parent);
      if (!parent) {
        warnings.push(`skipping layer ${record.chainID}: parent layer ${record.parent} does not exist`);
        ok = false;
      } else if (!visit(parent)) {
        if (state.get(record.chainID) !== "broken") warnings.push(`skipping layer ${record.chainID}: parent layer ${record.parent} is unusable`);
        ok = false;
      }
    }
    state.set(record.chainID, ok ? "ok" : "broken");
    if (ok) ordered.push(record);
    return ok;
  };
  for (const record of records.values()) visit(record);
  return ordered;
}

/** Driver directories no layer or container mount names: what a crash mid-load can leave. */
async function removeOrphans(driver: Driver, db: LayerDB, files: FilesPort, referenced: Set<string>, warnings: string[]): Promise<void> {
  const mountsDir = `${db.root}/mounts`;
  if (await files.lstat(mountsDir)) {
    for (const container of await files.readdir(mountsDir)) {
      for (const name of ["mount-id", "init-id"]) {
        const id = await db.leftoverCacheID(`${mountsDir}/${container}`, name).catch(() => undefined);
        if (id !== undefined) referenced.add(id);
      }
    }
  }
  for (const id of await driver.list()) {
    if (referenced.has(id)) continue;
    try {
      await driver.remove(id);
      warnings.push(`removed orphan ${driver.name} layer ${id}`);
    } catch (e) {
      warnings.push(`could not remove orphan ${driver.name} layer ${id}: ${(e as Error).message}`);
    }
  }
}
