/** `docker tag SOURCE TARGET`: points a reference at an image, moving it if it existed. */
import { WharfError } from "../errors.ts";
import type { ImageID } from "../image/image.ts";
import { parseNormalizedNamed, tagNameOnly } from "../reference/reference.ts";
import { resolveImage, type ImageStores } from "./lookup.ts";
import type { ClockPort } from "../ports.ts";
import { rfc3339Nano } from "../image/config.ts";

export async function tagImage(store: ImageStores, clock: ClockPort, source: string, target: string): Promise<{ id: ImageID; moved?: ImageID }> {
  const id = resolveImage(store, source);
  const ref = parseNormalizedNamed(target);
  if (ref.digest !== undefined) throw new WharfError("INVALID_REFERENCE", `refusing to create a tag with a digest reference`);
  const tagged = tagNameOnly(ref);
  const moved = await store.references.addTag(tagged, id, true);
  await store.images.setLastUpdated(id, rfc3339Nano(clock.now()));
  return moved !== undefined && moved !== id ? { id, moved } : { id };
}
