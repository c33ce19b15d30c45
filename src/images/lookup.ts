/**
 * Finding an image the way `docker` does (moby daemon/images GetImage): a reference in the
 * reference store first, then an image ID or a unique ID prefix.
 */
import { isWharfError, WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import type { Store } from "../store/root.ts";

export type ImageStores = Pick<Store, "images" | "layers" | "references" | "driver">;

/** `No such image: x` — Docker's wording, as a NOT_FOUND error. */
export function noSuchImage(refOrID: string): WharfError {
  return new WharfError("NOT_FOUND", `No such image: ${refOrID}`);
}

const ID_LIKE = /^(sha256:)?[0-9a-f]{1,64}$/;

/** The reference `refOrID` names, when it parses as one (tag defaulted to latest). */
export function asReference(refOrID: string): Reference | undefined {
  try {
    return tagNameOnly(parseNormalizedNamed(refOrID));
  } catch {
    return undefined;
  }
}

export function resolveImage(store: ImageStores, refOrID: string): ImageID {
  if (refOrID === "") throw new WharfError("USAGE", "image name or ID must not be empty");
  const ref = /^sha256:/.test(refOrID) ? undefined : asReference(refOrID);
  if (ref) {
    try {
      return store.references.get(ref);
    } catch (e) {
      if (!isWharfError(e, "NOT_FOUND")) throw e;
    }
  }
  if (ID_LIKE.test(refOrID)) {
    try {
      return store.images.search(refOrID);
    } catch (e) {
      if (!isWharfError(e, "NOT_FOUND")) throw e;
    }
  }
  if (!ref && !ID_LIKE.test(refOrID)) parseNormalizedNamed(refOrID); // throws Docker's reference error
  throw noSuchImage(ref && !refOrID.includes(":") && !refOrID.includes("@") ? `${refOrID}:latest` : refOrID);
}

/** Sum of the layer sizes of an image's chain (Docker's image Size). */
export function imageSize(store: ImageStores, id: ImageID): number {
  let size = 0;
  for (let layer = store.images.topLayer(id); layer; layer = layer.parent) size += layer.size;
  return size;
}

/** 12 hex characters of an ID, as `docker images` shows it. */
export function shortID(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
