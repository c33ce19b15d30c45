/** `docker history` (moby ImageHistory): one row per history entry, newest first. */
import { WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { chainIDs } from "../hash/digest.ts";
import type { DigesterFactory } from "../ports.ts";
import { resolveImage, type ImageStores } from "./lookup.ts";

export interface HistoryRow {
  /** Image ID for the rows that start an image known here, else `<missing>`. */
  id: string;
  created: number;
  createdBy: string;
  comment: string;
  size: number;
  tags: string[];
}

export async function imageHistory(store: ImageStores, digests: DigesterFactory, refOrID: string): Promise<HistoryRow[]> {
  const id = resolveImage(store, refOrID);
  const image = await store.images.get(id);
  const diffIDs = image.config.rootfs.diff_ids;
  const chain = chainIDs(digests, diffIDs);
  const rows: HistoryRow[] = [];
  let layerIndex = 0;
  for (const h of image.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const chainID = chain[layerIndex];
      if (chainID === undefined) throw new WharfError("INVALID_ARGUMENT", `image ${id}: too many non-empty layers in History section`);
      const layer = store.layers.get(chainID);
      if (!layer) throw new WharfError("NOT_FOUND", `image ${id}: layer ${chainID} is missing`);
      size = layer.size;
      await store.layers.release(layer);
      layerIndex++;
    }
    rows.unshift({ id: "<missing>", created: Date.parse(h.created ?? "") || 0, createdBy: h.created_by ?? "", comment: h.comment ?? "", size, tags: [] });
  }
  // Each image known locally names the row of its own top history entry; parents go on down.
  let current: ImageID | undefined = id;
  for (const row of rows) {
    if (current === undefined) break;
    row.id = current;
    row.tags = store.references.references(current).filter((r) => r.tag !== undefined).map((r) => r.familiarString());
    current = await store.images.getParent(current);
  }
  return rows;
}
