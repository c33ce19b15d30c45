/**
 * `docker rmi` (moby daemon/images image_delete.go): untag by reference, delete by ID when the
 * references allow it, conflicts worded as Docker words them, and parents pruned quietly.
 */
import { WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import { resolveImage, shortID, type ImageStores } from "./lookup.ts";

export type DeleteRecord = { untagged: string } | { deleted: string };

export interface DeleteOptions {
  force?: boolean;
  /** Delete untagged parent images left without children (Docker's default; `--no-prune` turns it off). */
  prune?: boolean;
}

const HARD = 1;
const SOFT = 2;

export async function deleteImage(store: ImageStores, refOrID: string, options: DeleteOptions = {}): Promise<DeleteRecord[]> {
  const force = options.force ?? false;
  const prune = options.prune ?? true;
  const id = resolveImage(store, refOrID);
  const records: DeleteRecord[] = [];
  let repoRefs = store.references.references(id);
  let removedRepositoryRef = false;
  if (!isIDPrefix(id, refOrID)) {
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
    for (const r of repoRefs) await untag(store, r, records);
  }
  await deleteHelper(store, id, records, force, prune, removedRepositoryRef);
  return records;
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

async function deleteHelper(store: ImageStores, id: ImageID, records: DeleteRecord[], force: boolean, prune: boolean, quiet: boolean): Promise<void> {
  const conflict = checkConflict(store, id, force ? HARD : HARD | SOFT);
  if (conflict) {
    const dangling = store.references.references(id).length === 0;
    if (quiet && !dangling) return;
    throw conflict;
  }
  const parent = await store.images.getParent(id);
  if (force) for (const ref of store.references.references(id)) await untag(store, ref, records);
  const removedLayers = await store.images.delete(id);
  records.push({ deleted: id });
  for (const chainID of removedLayers) records.push({ deleted: chainID });
  if (prune && parent !== undefined) await deleteHelper(store, parent, records, false, true, true);
}

function checkConflict(store: ImageStores, id: ImageID, mask: number): WharfError | undefined {
  const conflict = (hard: boolean, message: string) =>
    new WharfError("CONFLICT", `conflict: unable to delete ${shortID(id)} (${hard ? "cannot be forced" : "must be forced"}) - ${message}`);
  if (mask & HARD && store.images.children(id).length > 0) return conflict(true, "image has dependent child images");
  if (mask & SOFT && store.references.references(id).length > 0) return conflict(false, "image is referenced in multiple repositories");
  return undefined;
}
