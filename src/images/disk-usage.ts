/** `docker system df`: images (total, active = used by containers, size with shared layers once, reclaimable) and containers. */
import type { ImageID } from "../image/image.ts";
import type { ImageStores } from "./lookup.ts";
import type { Store } from "../store/root.ts";

export interface ImageDiskUsage {
  total: number;
  active: number;
  /** Bytes of all layers, each counted once. */
  size: number;
  reclaimable: number;
}

/** `activeImages`: images containers use; their layers are not reclaimable. */
export function imageDiskUsage(store: ImageStores, activeImages: ReadonlySet<ImageID> = new Set()): ImageDiskUsage {
  const layers = store.layers.list();
  const size = layers.reduce((n, l) => n + l.size, 0);
  const used = new Set<string>();
  for (const id of activeImages) for (let l = store.images.topLayer(id); l; l = l.parent) used.add(l.chainID);
  const usedSize = layers.filter((l) => used.has(l.chainID)).reduce((n, l) => n + l.size, 0);
  return { total: store.images.list().length, active: activeImages.size, size, reclaimable: size - usedSize };
}

export interface ContainerDiskUsage {
  total: number;
  /** Running containers: wharf runs none. */
  active: number;
  /** Bytes of the containers' read-write layers. */
  size: number;
  /** Everything not running. */
  reclaimable: number;
}

/** `docker system df`'s Containers row, and the images containers use (which count as active). */
export async function containerDiskUsage(store: Pick<Store, "containers" | "layers">): Promise<{ usage: ContainerDiskUsage; activeImages: Set<ImageID> }> {
  const containers = store.containers.list();
  let size = 0;
  for (const c of containers) {
    const layer = store.layers.getRWLayer(c.id);
    if (layer) size += await layer.size();
  }
  return { usage: { total: containers.length, active: 0, size, reclaimable: size }, activeImages: new Set(containers.map((c) => c.image)) };
}
