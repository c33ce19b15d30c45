/**
 * The same report for an image already in the store: each layer's tar is rebuilt by the store
 * (tar-split plus the layer's files) and streamed through the same scan as an archive's layers.
 */
import { chainIDs } from "../hash/digest.ts";
import { resolveImage, type ImageStores } from "../images/lookup.ts";
import { assembleImage } from "./image.ts";
import { missingLayer, scanLayer, type AnalyzeDeps } from "./layer-scan.ts";
import type { ArchiveReport, LayerReport } from "./model.ts";

const decoder = new TextDecoder();

/** An ArchiveReport without `kind` (it comes from a store, not an archive). */
export type StoredImageReport = Omit<ArchiveReport, "kind">;

export async function inspectStoredImage(store: ImageStores, deps: AnalyzeDeps, refOrID: string): Promise<StoredImageReport> {
  const id = resolveImage(store, refOrID);
  const image = await store.images.get(id); // re-hashes the config: a mismatch throws
  const diffIDs = image.config.rootfs.diff_ids;
  const layers: LayerReport[] = [];
  for (const [i, chainID] of chainIDs(deps.digests, diffIDs).entries()) {
    const expect = { expectedDiffID: diffIDs[i]! };
    const layer = store.layers.get(chainID);
    if (!layer) {
      layers.push(missingLayer(chainID, `layer ${chainID} is missing from the store`, expect));
      continue;
    }
    try {
      const scanned = await scanLayer(layer.tarStream(), chainID, 0, deps, expect);
      scanned.storedSize = scanned.tarSize; // the store keeps layers uncompressed
      layers.push(scanned);
    } finally {
      await store.layers.release(layer);
    }
  }
  const tags = store.references.references(id).map((r) => r.familiarString());
  const report = assembleImage(
    { id, idVerified: true, tags, configRaw: decoder.decode(image.rawConfig), config: image.config },
    layers.map((_, i) => i),
    layers,
  );
  return { label: refOrID, images: [report], layers, errors: [] };
}
