/** `docker system df` for images: total, active (used by containers), size with shared layers once, reclaimable. */
import type { ImageID } from "../image/image.ts";
import type { ImageStores } from "./lookup.ts";

export interface ImageDiskUsage {
  total: number;
  active: number;
  /** Bytes of all layers, each counted once. */
  size: number;
  reclaimable: number;
}

/** Without containers yet, no image is active: everything is reclaimable. */
export function imageDiskUsage(store: ImageStores, activeImages: ReadonlySet<ImageID> = new Set()): ImageDiskUsage {
  const layers = store.layers.list();
  const size = layers.reduce((n, l) => n + l.size, 0);
  const used = new Set<string>();
  for (const id of activeImages) for (let l = store.images.topLayer(id); l; l = l.parent) used.add(l.chainID);
  const usedSize = layers.filter((l) => used.has(l.chainID)).reduce((n, l) => n + l.size, 0);
  return { total: store.images.list().length, active: activeImages.size, size, reclaimable: size - usedSize };
}
