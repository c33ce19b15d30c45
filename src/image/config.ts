/**
 * Reading an image config: the raw bytes stay the source of truth (the ID is their sha256);
 * this only checks and exposes the fields wharf needs, as moby's `image.NewFromJSON` does.
 */
import { WharfError } from "../errors.ts";
import { isDigest } from "../hash/digest.ts";
import type { DiffID } from "../layer/layer.ts";
import type { ImageConfig } from "./image.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses a config; `what` names it in errors (e.g. `image config sha256:…`). */
export function parseImageConfig(raw: Uint8Array, what: string): ImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(raw));
  } catch (e) {
    throw new WharfError("INVALID_ARGUMENT", `${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WharfError("INVALID_ARGUMENT", `${what} is not a JSON object`);
  }
  const config = value as Record<string, unknown>;
  const rootfs = config.rootfs as { type?: unknown; diff_ids?: unknown } | null | undefined;
  if (typeof rootfs !== "object" || rootfs === null) throw new WharfError("INVALID_ARGUMENT", `${what} has no rootfs`);
  if (rootfs.type !== "layers") throw new WharfError("INVALID_ARGUMENT", `${what} has rootfs type ${JSON.stringify(rootfs.type)}, expected "layers"`);
  const diffIDs = rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIDs)) throw new WharfError("INVALID_ARGUMENT", `${what} has rootfs.diff_ids that is not an array`);
  diffIDs.forEach((d: unknown, i) => {
    if (typeof d !== "string" || !isDigest(d)) throw new WharfError("INVALID_ARGUMENT", `${what} has an invalid diff_ids[${i}]: ${JSON.stringify(d)}`);
  });
  return { ...config, rootfs: { type: "layers", diff_ids: diffIDs as DiffID[] } } as ImageConfig;
}

/** Go's time.RFC3339Nano in UTC: fraction with trailing zeros dropped, none when zero. */
export function rfc3339Nano(time: { seconds: number; nanos: number }): string {
  const base = new Date(time.seconds * 1000).toISOString().slice(0, 19);
  const fraction = time.nanos > 0 ? "." + String(time.nanos).padStart(9, "0").replace(/0+$/, "") : "";
  return `${base}${fraction}Z`;
}
