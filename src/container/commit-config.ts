/**
 * The config `docker commit` writes (moby `image.NewChildImage` and daemon/commit.go `merge`),
 * serialized as Go's encoding/json does: the image's top-level keys sorted (Image.MarshalJSON
 * re-encodes through a map), container.Config and History fields in Go struct order, maps sorted.
 */
import type { ContainerConfig } from "./container.ts";
import type { HistoryEntry, ImageConfig } from "../image/image.ts";
import type { DiffID } from "../layer/layer.ts";
import { EMPTY_LAYER_DIFF_ID } from "../layer/layer.ts";
import { goMap, goQuote, goValue } from "../format/go-json.ts";

export interface ChildImageOptions {
  parent: ImageConfig | undefined;
  containerID: string;
  /** The container's config as it was (`container_config`). */
  containerConfig: ContainerConfig;
  /** The container's config with the `-c` changes applied and merged (`config`). */
  config: ContainerConfig;
  diffID: DiffID;
  author?: string;
  comment?: string;
  /** RFC 3339 with nanoseconds; the image's and the history entry's `created`. */
  created: string;
  dockerVersion: string;
  os: string;
  /** Used when the parent names no architecture (Docker uses its own GOARCH); absent → key left out. */
  defaultArchitecture?: string;
}

/** moby merge: fills what the changed config lacks from the container's own config. */
export function mergeConfig(user: ContainerConfig, image: ContainerConfig): ContainerConfig {
  const merged: ContainerConfig = { ...user };
  if (!merged.User) merged.User = image.User;
  const userPorts = merged.ExposedPorts ?? {};
  merged.ExposedPorts = Object.keys(userPorts).length === 0 ? image.ExposedPorts : { ...(image.ExposedPorts ?? {}), ...userPorts };
  if (!merged.Env || merged.Env.length === 0) merged.Env = image.Env;
  else {
    const keys = new Set(merged.Env.map((e) => e.split("=", 1)[0]));
    merged.Env = [...merged.Env, ...(image.Env ?? []).filter((e) => !keys.has(e.split("=", 1)[0]))];
  }
  merged.Labels = { ...(image.Labels ?? {}), ...(merged.Labels ?? {}) };
  if (!merged.Entrypoint || merged.Entrypoint.length === 0) {
    if (!merged.Cmd || merged.Cmd.length === 0) {
      merged.Cmd = image.Cmd;
      merged.ArgsEscaped = image.ArgsEscaped;
    }
    if (merged.Entrypoint === null || merged.Entrypoint === undefined) merged.Entrypoint = image.Entrypoint;
  }
  if (!merged.WorkingDir) merged.WorkingDir = image.WorkingDir;
  const userVolumes = (merged.Volumes as Record<string, unknown> | null | undefined) ?? {};
  merged.Volumes = Object.keys(userVolumes).length === 0 ? image.Volumes : { ...userVolumes, ...((image.Volumes as Record<string, unknown> | null | undefined) ?? {}) };
  if (!merged.StopSignal) merged.StopSignal = image.StopSignal;
  return merged;
}

const str = (v: unknown): string => goQuote(typeof v === "string" ? v : "");
const bool = (v: unknown): string => (v === true ? "true" : "false");
const strings = (v: unknown): string => (Array.isArray(v) ? `[${v.map((s) => goQuote(String(s))).join(",")}]` : "null");
const emptyStructMap = (v: unknown): string => goMap(Object.keys(v as Record<string, unknown>).map((k) => [k, "{}"]));
const isNonEmptyMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && Object.keys(v).length > 0;

/** api/types/container.Config in Go field order (omitempty fields left out when empty). */
export function containerConfigJSON(c: ContainerConfig): string {
  const fields: string[] = [
    `"Hostname":${str(c.Hostname)}`, `"Domainname":${str(c.Domainname)}`, `"User":${str(c.User)}`,
    `"AttachStdin":${bool(c.AttachStdin)}`, `"AttachStdout":${bool(c.AttachStdout)}`, `"AttachStderr":${bool(c.AttachStderr)}`,
  ];
  if (isNonEmptyMap(c.ExposedPorts)) fields.push(`"ExposedPorts":${emptyStructMap(c.ExposedPorts)}`);
  fields.push(`"Tty":${bool(c.Tty)}`, `"OpenStdin":${bool(c.OpenStdin)}`, `"StdinOnce":${bool(c.StdinOnce)}`);
  fields.push(`"Env":${strings(c.Env)}`, `"Cmd":${strings(c.Cmd)}`);
  if (typeof c.Healthcheck === "object" && c.Healthcheck !== null) fields.push(`"Healthcheck":${healthcheckJSON(c.Healthcheck as Record<string, unknown>)}`);
  if (c.ArgsEscaped === true) fields.push(`"ArgsEscaped":true`);
  fields.push(`"Image":${str(c.Image)}`);
  fields.push(`"Volumes":${isNonEmptyMap(c.Volumes) ? emptyStructMap(c.Volumes) : c.Volumes ? "{}" : "null"}`);
  fields.push(`"WorkingDir":${str(c.WorkingDir)}`, `"Entrypoint":${strings(c.Entrypoint)}`);
  if (c.NetworkDisabled === true) fields.push(`"NetworkDisabled":true`);
  if (typeof c.MacAddress === "string" && c.MacAddress !== "") fields.push(`"MacAddress":${goQuote(c.MacAddress)}`);
  fields.push(`"OnBuild":${strings(c.OnBuild)}`);
  const labels = c.Labels;
  fields.push(`"Labels":${labels ? goMap(Object.entries(labels).map(([k, v]) => [k, goQuote(v)])) : "null"}`);
  if (typeof c.StopSignal === "string" && c.StopSignal !== "") fields.push(`"StopSignal":${goQuote(c.StopSignal)}`);
  if (typeof c.StopTimeout === "number") fields.push(`"StopTimeout":${c.StopTimeout}`);
  if (Array.isArray(c.Shell) && c.Shell.length > 0) fields.push(`"Shell":${strings(c.Shell)}`);
  return `{${fields.join(",")}}`;
}

/** container.HealthConfig: Test, Interval, Timeout, StartPeriod, Retries (all omitempty). */
function healthcheckJSON(h: Record<string, unknown>): string {
  const fields: string[] = [];
  if (Array.isArray(h.Test) && h.Test.length > 0) fields.push(`"Test":${strings(h.Test)}`);
  for (const key of ["Interval", "Timeout", "StartPeriod", "Retries"]) {
    if (typeof h[key] === "number" && h[key] !== 0) fields.push(`"${key}":${h[key]}`);
  }
  return `{${fields.join(",")}}`;
}

/** image.History in Go field order. */
export function historyJSON(h: HistoryEntry): string {
  const fields = [`"created":${goQuote(h.created ?? "0001-01-01T00:00:00Z")}`];
  if (h.author) fields.push(`"author":${goQuote(h.author)}`);
  if (h.created_by) fields.push(`"created_by":${goQuote(h.created_by)}`);
  if (h.comment) fields.push(`"comment":${goQuote(h.comment)}`);
  if (h.empty_layer) fields.push(`"empty_layer":true`);
  return `{${fields.join(",")}}`;
}

/** moby NewChildImage, marshalled: the config bytes whose sha256 is the new image's ID. */
export function childImageConfig(o: ChildImageOptions): { raw: Uint8Array; emptyLayer: boolean } {
  const emptyLayer = o.diffID === EMPTY_LAYER_DIFF_ID;
  const parent = o.parent;
  const diffIDs = [...(parent?.rootfs.diff_ids ?? [])];
  if (!emptyLayer) diffIDs.push(o.diffID);
  const history: HistoryEntry = {
    created: o.created,
    author: o.author,
    created_by: (o.containerConfig.Cmd ?? []).join(" "),
    comment: o.comment,
    empty_layer: emptyLayer,
  };
  // Keys as Image.MarshalJSON leaves them: sorted, empty omitempty fields left out.
  const top = new Map<string, string>();
  const architecture = parent?.architecture || o.defaultArchitecture;
  if (architecture) top.set("architecture", goQuote(architecture));
  if (o.author) top.set("author", goQuote(o.author));
  top.set("config", containerConfigJSON(o.config));
  top.set("container", goQuote(o.containerID));
  top.set("container_config", containerConfigJSON(o.containerConfig));
  top.set("created", goQuote(o.created));
  if (o.dockerVersion) top.set("docker_version", goQuote(o.dockerVersion));
  top.set("history", `[${[...(parent?.history ?? []), history].map(historyJSON).join(",")}]`);
  if (o.os) top.set("os", goQuote(o.os));
  const osFeatures = parent?.["os.features"];
  if (Array.isArray(osFeatures) && osFeatures.length > 0) top.set("os.features", goValue(osFeatures));
  const osVersion = parent?.["os.version"];
  if (typeof osVersion === "string" && osVersion !== "") top.set("os.version", goQuote(osVersion));
  top.set("rootfs", `{"type":"layers"${diffIDs.length > 0 ? `,"diff_ids":[${diffIDs.map((d) => goQuote(d)).join(",")}]` : ""}}`);
  if (typeof parent?.variant === "string" && parent.variant !== "") top.set("variant", goQuote(parent.variant));
  const json = goMap([...top.entries()]);
  return { raw: new TextEncoder().encode(json), emptyLayer };
}
