/**
 * `docker commit` (moby daemon/commit.go CreateImageFromContainer and images CommitImage): the
 * container's read-write layer as a layer tar, registered on the image's top layer in one pass;
 * a child config (commit-config.ts) naming it; the image stored with its parent, then tagged.
 * A container without changes gives the empty layer: its history entry says `empty_layer` and
 * no layer is added (the one registered is released, as moby releases its own reference).
 */
import { WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { rfc3339Nano } from "../image/config.ts";
import { parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import type { Store } from "../store/root.ts";
import type { ClockPort } from "../ports.ts";
import { tagImage } from "../images/tag.ts";
import { WHARF_VERSION } from "../version.ts";
import { applyCommitChanges } from "./commit-changes.ts";
import { childImageConfig, mergeConfig } from "./commit-config.ts";

export interface CommitOptions {
  /** Container ID, unique ID prefix or name. */
  container: string;
  /** `REPO[:TAG]` to tag the new image with. */
  reference?: string;
  author?: string;
  /** `-m`: the history entry's comment. */
  comment?: string;
  /** `-c` Dockerfile instructions. */
  changes?: readonly string[];
  /** When the image is created: the history entry's and the config's `created`. */
  created: { seconds: number; nanos: number };
}

export interface CommitResult {
  id: ImageID;
  /** The container had no changes: no layer was added. */
  emptyLayer: boolean;
}

export type CommitStores = Pick<Store, "containers" | "layers" | "images" | "references" | "driver">;

/** The docker CLI's check of `REPO[:TAG]` before it asks the daemon: a tag, never a digest. */
export function commitReference(reference: string): Reference {
  const ref = parseNormalizedNamed(reference);
  if (ref.digest !== undefined) throw new WharfError("INVALID_REFERENCE", "refusing to create a tag with a digest reference");
  return tagNameOnly(ref);
}

export async function commitContainer(store: CommitStores, clock: ClockPort, options: CommitOptions): Promise<CommitResult> {
  // Everything that can be refused is checked before a layer is written.
  if (options.reference !== undefined) commitReference(options.reference);
  const container = store.containers.get(options.container);
  const rwLayer = store.layers.getRWLayer(container.id);
  if (!rwLayer) throw new WharfError("NOT_FOUND", `container ${container.id} has no read-write layer`);
  const config = mergeConfig(applyCommitChanges(container.config, options.changes ?? []), container.config);
  const parent = await store.images.get(container.image);

  const layer = await store.layers.register(rwLayer.tarStream(), parent.topLayer);
  let id: ImageID;
  let emptyLayer: boolean;
  try {
    const created = rfc3339Nano(options.created);
    const child = childImageConfig({
      parent: parent.config,
      containerID: container.id,
      containerConfig: container.config,
      config,
      diffID: layer.diffID,
      author: options.author,
      comment: options.comment,
      created,
      dockerVersion: WHARF_VERSION,
      os: parent.config.os || "linux",
    });
    emptyLayer = child.emptyLayer;
    id = await store.images.create(child.raw);
  } finally {
    // The image holds its own reference on its top layer; an empty layer goes away here.
    await store.layers.release(layer);
  }
  await store.images.setParent(id, parent.id);
  if (options.reference !== undefined) await tagImage(store, clock, id, options.reference);
  return { id, emptyLayer };
}
