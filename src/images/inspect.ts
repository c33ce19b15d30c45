/**
 * `docker image inspect` (moby ImageInspect in API 1.41): the fields in Docker's order, the
 * container configs re-marshalled with Go's struct order and zero values, as dockerd does.
 */
import type { ImageID } from "../image/image.ts";
import { resolveImage, imageSize, type ImageStores } from "./lookup.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** container.Config fields in Go order; `omit` ones are `omitempty`. */
const CONTAINER_CONFIG_FIELDS: Array<[string, unknown, boolean?]> = [
  ["Hostname", ""], ["Domainname", ""], ["User", ""], ["AttachStdin", false], ["AttachStdout", false], ["AttachStderr", false],
  ["ExposedPorts", undefined, true], ["Tty", false], ["OpenStdin", false], ["StdinOnce", false], ["Env", null], ["Cmd", null],
  ["Healthcheck", undefined, true], ["ArgsEscaped", undefined, true], ["Image", ""], ["Volumes", null], ["WorkingDir", ""],
  ["Entrypoint", null], ["NetworkDisabled", undefined, true], ["MacAddress", undefined, true], ["OnBuild", null], ["Labels", null],
  ["StopSignal", undefined, true], ["StopTimeout", undefined, true], ["Shell", undefined, true],
];

export function normalizeContainerConfig(value: unknown): Record<string, unknown> | null {
  if (value === null || typeof value !== "object") return null;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, zero, omitEmpty] of CONTAINER_CONFIG_FIELDS) {
    const v = source[key];
    const empty = v === undefined || v === null || v === "" || v === false || (typeof v === "object" && Object.keys(v as object).length === 0 && !Array.isArray(v));
    if (omitEmpty) {
      if (!empty) out[key] = v;
    } else {
      out[key] = v ?? zero;
    }
  }
  return out;
}

export async function inspectImage(store: ImageStores, refOrID: string): Promise<Record<string, unknown>> {
  const id: ImageID = resolveImage(store, refOrID);
  const image = await store.images.get(id);
  const c = image.config;
  const refs = store.references.references(id);
  const size = imageSize(store, id);
  const top = store.images.topLayer(id);
  const out: Record<string, unknown> = {
    Id: id,
    RepoTags: refs.filter((r) => r.tag !== undefined).map((r) => r.familiarString()),
    RepoDigests: refs.filter((r) => r.digest !== undefined).map((r) => r.familiarString()),
    Parent: (await store.images.getParent(id)) ?? "",
    Comment: c.comment ?? "",
    Created: c.created ?? ZERO_TIME,
    Container: c.container ?? "",
    ContainerConfig: normalizeContainerConfig(c.container_config ?? {}),
    DockerVersion: c.docker_version ?? "",
    Author: c.author ?? "",
    Config: normalizeContainerConfig(c.config),
    Architecture: c.architecture ?? "",
  };
  if (c.variant) out.Variant = c.variant;
  out.Os = c.os ?? "";
  if (typeof c["os.version"] === "string" && c["os.version"]) out.OsVersion = c["os.version"];
  out.Size = size;
  out.VirtualSize = size;
  out.GraphDriver = { Data: top ? await store.driver.metadata(top.cacheID) : null, Name: store.driver.name };
  out.RootFS = { Type: c.rootfs.type, Layers: c.rootfs.diff_ids };
  out.Metadata = { LastTagTime: (await store.images.getLastUpdated(id)) ?? ZERO_TIME };
  return out;
}
