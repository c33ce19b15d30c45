/** `docker images` (moby daemon/images Images): one summary per repository:tag of each image. */
import type { ImageID } from "../image/image.ts";
import { imageSize, type ImageStores } from "./lookup.ts";

export interface ImageSummary {
  id: ImageID;
  /** Familiar repository name, or `<none>`. */
  repository: string;
  tag: string;
  /** `sha256:…` manifest digest of the repository, or `<none>`. */
  digest: string;
  /** ms since the epoch, from the config's `created`. */
  created: number;
  size: number;
  /** Tagged? Used for dangling filters. */
  dangling: boolean;
}

export interface ListOptions {
  /** Show intermediate images (untagged images that have children) too. */
  all?: boolean;
  /** `dangling=true|false` filter. */
  dangling?: boolean;
  /** `reference=` filter: repository or repository:tag, `*` globs allowed. */
  reference?: string;
}

export async function listImages(store: ImageStores, options: ListOptions = {}): Promise<ImageSummary[]> {
  const rows: ImageSummary[] = [];
  const ids = store.images.list();
  // Configs are read (and re-hashed, as Docker's Get does) concurrently; rows are built in order.
  const images = await Promise.all(ids.map((id) => store.images.get(id)));
  for (const [i, id] of ids.entries()) {
    const image = images[i]!;
    const created = Date.parse(image.config.created ?? "") || 0;
    const size = imageSize(store, id);
    const refs = store.references.references(id);
    const tagged = refs.filter((r) => r.tag !== undefined);
    const digests = refs.filter((r) => r.digest !== undefined);
    const base = { id, created, size };
    if (tagged.length === 0 && digests.length === 0) {
      if (!options.all && store.images.children(id).length > 0) continue;
      rows.push({ ...base, repository: "<none>", tag: "<none>", digest: "<none>", dangling: true });
      continue;
    }
    for (const ref of tagged) {
      const digest = digests.find((d) => d.familiarName() === ref.familiarName())?.digest ?? "<none>";
      rows.push({ ...base, repository: ref.familiarName(), tag: ref.tag!, digest, dangling: false });
    }
    for (const ref of digests) {
      if (tagged.some((t) => t.familiarName() === ref.familiarName())) continue;
      rows.push({ ...base, repository: ref.familiarName(), tag: "<none>", digest: ref.digest!, dangling: false });
    }
  }
  const filtered = rows.filter((r) => (options.dangling === undefined || r.dangling === options.dangling) && matchesReference(r, options.reference));
  return filtered.sort((a, b) => b.created - a.created || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
}

function matchesReference(row: ImageSummary, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (row.repository === "<none>") return false;
  const glob = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return glob.test(row.repository) || glob.test(`${row.repository}:${row.tag}`);
}
