/**
 * Test-only: a flattened rootfs tar as a map from path to what matters (type, mode, owner,
 * content or symlink target). A hard link is listed as the file it links to: which of two
 * linked names comes first depends on the walk, not on the content.
 */
import { TarReader } from "../../src/tar/reader.ts";
import { readAll } from "../../src/io/bytes.ts";

export type RootfsListing = Map<string, string>;

const decoder = new TextDecoder();

/** Short text as itself; anything else by size and FNV-1a hash, to keep failures readable. */
function describeBody(bytes: Uint8Array): string {
  if (bytes.length <= 64 && bytes.every((b) => b === 0x0a || (b >= 0x20 && b < 0x7f))) return decoder.decode(bytes);
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return `<${bytes.length} bytes, fnv ${hash.toString(16)}>`;
}

export async function listRootfsTar(tar: Uint8Array): Promise<RootfsListing> {
  const listing: RootfsListing = new Map();
  for await (const entry of new TarReader(tar, { copyChunks: true })) {
    const h = entry.header;
    const name = h.name.replace(/\/$/, "");
    if (h.typeflag === "1") {
      listing.set(name, listing.get(h.linkname) ?? `missing hard link target ${h.linkname}`);
      continue;
    }
    const body = entry.bodyLength > 0 ? describeBody(await readAll(entry.stream())) : "";
    const what = h.typeflag === "2" ? `-> ${h.linkname}` : body;
    listing.set(name, `${h.typeflag} ${h.mode.toString(8)} ${h.uid}:${h.gid} ${what}`);
  }
  return listing;
}

/** `listing` as sorted lines, for readable assertion diffs. */
export function listingText(listing: RootfsListing): string {
  return [...listing].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}: ${v}`).join("\n");
}
