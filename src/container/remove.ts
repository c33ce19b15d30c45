/**
 * `docker rm` for storage (moby daemon/delete.go cleanupContainer): the read-write and init
 * layers go first (their parent reference with them), then the container's directory. A mounted
 * container is refused unless forced, as Docker refuses a running one.
 */
import { WharfError } from "../errors.ts";
import type { ChainID } from "../layer/layer.ts";
import type { Container } from "./container.ts";
import type { ContainerStores } from "./create.ts";

export interface RemoveOptions {
  force?: boolean;
}

export async function removeContainer(store: ContainerStores, idOrName: string, options: RemoveOptions = {}): Promise<{ container: Container; deletedLayers: ChainID[] }> {
  const container = store.containers.get(idOrName);
  const layer = store.layers.getRWLayer(container.id);
  if (layer && !options.force && (await layer.mountCount()) > 0) {
    throw new WharfError("CONFLICT", `You cannot remove a mounted container ${container.id}. Unmount the container before attempting removal or force remove`);
  }
  const deletedLayers = layer ? await store.layers.releaseRWLayer(layer) : [];
  await store.containers.delete(container.id);
  return { container, deletedLayers };
}

/** The container's read-write layer, or a clear error when its layer is missing from the store. */
export function containerLayer(store: ContainerStores, container: Container) {
  const layer = store.layers.getRWLayer(container.id);
  if (!layer) throw new WharfError("NOT_FOUND", `container ${container.id} has no read-write layer in the ${store.driver.name} layer store`);
  return layer;
}
