/**
 * `docker create` for storage (moby daemon/create.go): the image's config merged into the
 * container's, the read-write layer (init layer filled) under the new ID, then config.v2.json.
 * The name is checked before anything is written, so a bad or taken name changes nothing.
 */
import type { Store } from "../store/root.ts";
import { normalizeContainerConfig } from "../images/inspect.ts";
import { resolveImage } from "../images/lookup.ts";
import type { Container, ContainerConfig } from "./container.ts";
import { setupInitLayer } from "./init-layer.ts";

export interface CreateOptions {
  name?: string;
  /** COMMAND and ARGs; empty → the image's Cmd. */
  cmd?: string[];
  /** Whether files the init step creates are chowned to root (default: running as root). */
  privileged?: boolean;
}

export type ContainerStores = Pick<Store, "images" | "layers" | "references" | "driver" | "containers" | "root">;

export async function createContainer(store: ContainerStores, imageName: string, options: CreateOptions = {}): Promise<Container> {
  const imageID = resolveImage(store, imageName);
  if (options.name !== undefined) store.containers.checkName(options.name);
  const image = await store.images.get(imageID);
  const id = store.containers.newID();
  const config = containerConfig(image.config.config ?? {}, id, imageName, options.cmd ?? []);
  const top = store.images.topLayer(imageID);
  const runtime = store.layers.runtime;
  const privileged = options.privileged ?? runtime.env?.uid() === 0;
  const files = runtime.files!;
  const layer = await store.layers.createRWLayer(id, top?.chainID, (dir) => setupInitLayer(files, dir, privileged));
  try {
    return await store.containers.create({ id, image: imageID, imageName, name: options.name, config });
  } catch (e) {
    await store.layers.releaseRWLayer(layer).catch(() => {});
    throw e;
  }
}

/** The container's Config: the image's (Env, Entrypoint, WorkingDir, …) with the given command, Hostname the short ID. */
function containerConfig(imageConfig: Record<string, unknown>, id: string, imageName: string, cmd: string[]): ContainerConfig {
  const merged: Record<string, unknown> = {
    ...imageConfig,
    Hostname: id.slice(0, 12),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Image: imageName,
  };
  if (cmd.length > 0) merged.Cmd = cmd;
  return normalizeContainerConfig(merged) as ContainerConfig;
}
