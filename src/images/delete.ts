/**
 * `docker rmi` (moby daemon/images image_delete.go): untag by reference, delete by ID when the
 * references allow it, conflicts worded as Docker words them, and parents pruned quietly.
 */
import { WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import { resolveImage, shortID, type ImageStores } from "./lookup.ts";
import type { ContainerStore } from "../container/container.ts";

/** The image stores, and the containers whose images may not go without force. */
export type DeleteStores = ImageStores & { containers?: Pick<ContainerStore, "usingImage"> };

export type DeleteRecord = { untagged: string } | { deleted: string };

export interface DeleteOptions {
  force?: boolean;
  /** Delete untagged parent images left without children (Docker's default; `--no-prune` turns it off). */
  prune?: boolean;
}

// moby conflictType: hard conflicts cannot be forced, soft ones can.
const DEPENDENT_CHILD = 1;
const ACTIVE_REFERENCE = 4;
const STOPPED_CONTAINER = 8;
const HARD = DEPENDENT_CHILD;
const SOFT = ACTIVE_REFERENCE | STOPPED_CONTAINER;

export async function deleteImage(store: DeleteStores, refOrID: string, options: DeleteOptions = {}): Promise<DeleteRecord[]> {
  const force = options.force ?? false;
  const prune = options.prune ?? true;
  const id = resolveImage(store, refOrID);
  const records: DeleteRecord[] = [];
  let repoRefs = store.references.references(id);
  let removedRepositoryRef = false;
  if (!isIDPrefix(id, refOrID)) {
    const user = firstContainerUsing(store, id);
    if (!force && isSingleReference(repoRefs) && user !== undefined) {
      // Untagging would leave the image dangling under a container: Docker wants that forced.
      throw new WharfError("CONFLICT", `conflict: unable to remove repository reference ${JSON.stringify(refOrID)} (must force) - container ${shortID(user)} is using its referenced image ${shortID(id)}`);
    }
    const ref = tagNameOnly(parseNormalizedNamed(refOrID));
    await untag(store, ref, records);
    repoRefs = store.references.references(id);
    if (ref.digest === undefined && !repoRefs.some((r) => r.digest === undefined && r.name === ref.name)) {
      // The last tag of a repository went: its digest references go with it.
      for (const r of repoRefs.filter((r) => r.digest !== undefined && r.name === ref.name)) await untag(store, r, records);
      repoRefs = store.references.references(id);
    }
    if (repoRefs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (canRemoveAllReferences(repoRefs)) {
    const conflict = checkConflict(store, id, force ? HARD : HARD | (SOFT & ~ACTIVE_REFERENCE));
    if (conflict) throw conflict;
    for (const r of repoRefs) await untag(store, r, records);
  }
  await deleteHelper(store, id, records, force, prune, removedRepositoryRef);
  return records;
}

/** moby isSingleReference: one tag (or only digests) and all digests in that tag's repository. */
function isSingleReference(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tags = refs.filter((r) => r.digest === undefined);
  if (tags.length > 1) return false;
  const single = tags[0] ?? refs[0]!;
  const canonical = new Set(refs.filter((r) => r.digest !== undefined).map((r) => r.name));
  return canonical.size === 1 && canonical.has(single.name);
}

function firstContainerUsing(store: DeleteStores, id: ImageID): string | undefined {
  return store.containers?.usingImage(id)[0]?.id;
}

/** By ID with at most one tag and every reference in one repository: removing them all is safe. */
function canRemoveAllReferences(refs: Reference[]): boolean {
  const tags = refs.filter((r) => r.digest === undefined);
  return tags.length <= 1 && new Set(refs.map((r) => r.name)).size <= 1;
}

function isIDPrefix(id: ImageID, refOrID: string): boolean {
  const hex = refOrID.replace(/^sha256:/, "");
  return /^[0-9a-f]+$/.test(hex) && id.slice("sha256:".length).startsWith(hex);
}

async function untag(store: ImageStores, ref: Reference, records: DeleteRecord[]): Promise<void> {
  if (await store.references.delete(ref)) records.push({ untagged: ref.familiarString() });
}

async function deleteHelper(store: DeleteStores, id: ImageID, records: DeleteRecord[], force: boolean, prune: boolean, quiet: boolean): Promise<void> {
  const conflict = checkConflict(store, id, force ? HARD : HARD | SOFT);
  if (conflict) {
    const dangling = store.references.references(id).length === 0;
    if (quiet && (!dangling || conflict.used)) return;
    throw conflict;
  }
  const parent = await store.images.getParent(id);
  if (force) for (const ref of store.references.references(id)) await untag(store, ref, records);
  const removedLayers = await store.images.delete(id);
  records.push({ deleted: id });
  for (const chainID of removedLayers) records.push({ deleted: chainID });
  if (prune && parent !== undefined) await deleteHelper(store, parent, records, false, true, true);
}

/** moby checkImageDeleteConflict; `used` marks a conflict with a container. */
function checkConflict(store: DeleteStores, id: ImageID, mask: number): DeleteConflict | undefined {
  const conflict = (hard: boolean, message: string, used = false) =>
    new DeleteConflict(`conflict: unable to delete ${shortID(id)} (${hard ? "cannot be forced" : "must be forced"}) - ${message}`, used);
  if (mask & DEPENDENT_CHILD && store.images.children(id).length > 0) return conflict(true, "image has dependent child images");
  if (mask & ACTIVE_REFERENCE && store.references.references(id).length > 0) return conflict(false, "image is referenced in multiple repositories");
  const user = mask & STOPPED_CONTAINER ? firstContainerUsing(store, id) : undefined;
  if (user !== undefined) return conflict(false, `image is being used by stopped container ${shortID(user)}`, true);
  return undefined;
}

class DeleteConflict extends WharfError {
  constructor(message: string, readonly used: boolean) {
    super("CONFLICT", message);
  }
}
