/** `docker image prune` (moby ImagesPrune): dangling images, or with `all` every image no container uses. */
import type { ImageID } from "../image/image.ts";
import { deleteImage, type DeleteRecord } from "./delete.ts";
import type { ImageStores } from "./lookup.ts";

export interface PruneReport {
  records: DeleteRecord[];
  /** Bytes of the layers that were deleted. */
  reclaimed: number;
}

export async function pruneImages(store: ImageStores, options: { all?: boolean } = {}): Promise<PruneReport> {
  const records: DeleteRecord[] = [];
  let reclaimed = 0;
  // Top-most candidates first: an image with children cannot go before them.
  const candidates = (): ImageID[] =>
    store.images
      .list()
      .filter((id) => store.images.children(id).length === 0)
      .filter((id) => options.all || store.references.references(id).length === 0);
  const seen = new Set<ImageID>();
  for (let next = candidates().filter((id) => !seen.has(id)); next.length > 0; next = candidates().filter((id) => !seen.has(id))) {
    for (const id of next) {
      seen.add(id);
      const sizeBefore = layerSizes(store);
      if (options.all) {
        for (const ref of store.references.references(id)) {
          if (await store.references.delete(ref)) records.push({ untagged: ref.familiarString() });
        }
      }
      const deleted = await deleteImage(store, id, { force: false, prune: true });
      records.push(...deleted);
      reclaimed += sizeBefore - layerSizes(store);
    }
  }
  return { records, reclaimed };
}

function layerSizes(store: ImageStores): number {
  return store.layers.list().reduce((n, l) => n + l.size, 0);
}

