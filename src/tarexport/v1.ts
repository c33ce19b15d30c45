/**
 * Legacy v1 image JSON for `docker save` (moby `image.V1Image`, `image/v1.CreateID`): each
 * layer directory is named by a v1 ID derived from a v1 image — empty but for `created` below
 * the top, the image config's own v1 fields at the top — and holds that image as `json`.
 * Docker builds these by decoding the config into Go structs and encoding them again, so the
 * bytes follow Go's struct order and omitempty rules, reproduced here field by field.
 */
import type { DigesterFactory } from "../ports.ts";
import { digestOf, digestHex, type Digest } from "../hash/digest.ts";
import { formatGoTime, goMap, goQuote, parseGoTime, ZERO_TIME_TEXT, type GoTime } from "../format/go-json.ts";

type Json = Record<string, unknown>;

/** Go json decoding matches field names exactly first, then case-insensitively. */
function field(obj: Json | undefined, name: string): unknown {
  if (!obj) return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  let found: unknown;
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) found = obj[key];
  return found;
}

const asString = (v: unknown): string => (typeof v === "string" ? v : "");
const asBool = (v: unknown): boolean => v === true;
const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

function stringList(v: unknown): string {
  if (!Array.isArray(v)) return "null";
  return `[${v.map((s) => goQuote(asString(s))).join(",")}]`;
}

/** strslice.StrSlice: a lone string decodes as a one-element list. */
function strSlice(v: unknown): string {
  return typeof v === "string" ? `[${goQuote(v)}]` : stringList(v);
}

function stringSet(v: unknown): string {
  const obj = asObject(v);
  if (!obj) return "null";
  return goMap(Object.keys(obj).map((k) => [k, "{}"]));
}

function stringMap(v: unknown): string {
  const obj = asObject(v);
  if (!obj) return "null";
  return goMap(Object.entries(obj).map(([k, s]) => [k, goQuote(asString(s))]));
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** container.HealthConfig (Docker 20.10): every field omitempty. */
function healthConfig(v: Json): string {
  const parts: string[] = [];
  const test = field(v, "Test");
  if (Array.isArray(test) && test.length > 0) parts.push(`"Test":${stringList(test)}`);
  for (const name of ["Interval", "Timeout", "StartPeriod", "Retries"]) {
    const n = field(v, name);
    if (isInt(n) && n !== 0) parts.push(`"${name}":${n}`);
  }
  return `{${parts.join(",")}}`;
}

/** container.Config (Docker 20.10) in Go's field order. `v` undefined encodes the zero Config. */
export function containerConfigJSON(v: Json | undefined): string {
  const parts: string[] = [];
  const str = (name: string) => parts.push(`"${name}":${goQuote(asString(field(v, name)))}`);
  const bool = (name: string) => parts.push(`"${name}":${asBool(field(v, name))}`);
  str("Hostname");
  str("Domainname");
  str("User");
  bool("AttachStdin");
  bool("AttachStdout");
  bool("AttachStderr");
  const ports = asObject(field(v, "ExposedPorts"));
  if (ports && Object.keys(ports).length > 0) parts.push(`"ExposedPorts":${stringSet(ports)}`);
  bool("Tty");
  bool("OpenStdin");
  bool("StdinOnce");
  parts.push(`"Env":${stringList(field(v, "Env"))}`);
  parts.push(`"Cmd":${strSlice(field(v, "Cmd"))}`);
  const health = asObject(field(v, "Healthcheck"));
  if (health) parts.push(`"Healthcheck":${healthConfig(health)}`);
  if (asBool(field(v, "ArgsEscaped"))) parts.push(`"ArgsEscaped":true`);
  str("Image");
  parts.push(`"Volumes":${stringSet(field(v, "Volumes"))}`);
  str("WorkingDir");
  parts.push(`"Entrypoint":${strSlice(field(v, "Entrypoint"))}`);
  if (asBool(field(v, "NetworkDisabled"))) parts.push(`"NetworkDisabled":true`);
  const mac = asString(field(v, "MacAddress"));
  if (mac !== "") parts.push(`"MacAddress":${goQuote(mac)}`);
  parts.push(`"OnBuild":${stringList(field(v, "OnBuild"))}`);
  parts.push(`"Labels":${stringMap(field(v, "Labels"))}`);
  const signal = asString(field(v, "StopSignal"));
  if (signal !== "") parts.push(`"StopSignal":${goQuote(signal)}`);
  const timeout = field(v, "StopTimeout");
  if (isInt(timeout)) parts.push(`"StopTimeout":${timeout}`);
  const shell = field(v, "Shell");
  if ((Array.isArray(shell) && shell.length > 0) || typeof shell === "string") parts.push(`"Shell":${strSlice(shell)}`);
  return `{${parts.join(",")}}`;
}

/** image.V1Image, as Go holds it after decoding. */
export interface V1Image {
  id: string;
  parent: string;
  comment: string;
  created: GoTime | undefined; // undefined: Go's zero time
  container: string;
  containerConfig: Json | undefined;
  dockerVersion: string;
  author: string;
  config: Json | undefined; // a *Config: undefined is nil
  architecture: string;
  variant: string;
  os: string;
  size: number;
}

/** The v1 image of a layer below the top: only `created` = the epoch. */
export function emptyV1Image(): V1Image {
  return {
    id: "", parent: "", comment: "", created: { seconds: 0, nanos: 0, offset: 0 }, container: "", containerConfig: undefined,
    dockerVersion: "", author: "", config: undefined, architecture: "", variant: "", os: "", size: 0,
  };
}

/** The V1Image fields of an image config (what `img.V1Image` holds in moby). */
export function v1ImageFromConfig(config: Json): V1Image {
  const created = field(config, "created");
  const size = field(config, "Size");
  return {
    id: asString(field(config, "id")),
    parent: asString(field(config, "parent")),
    comment: asString(field(config, "comment")),
    created: typeof created === "string" ? parseGoTime(created, "image config created") : undefined,
    container: asString(field(config, "container")),
    containerConfig: asObject(field(config, "container_config")),
    dockerVersion: asString(field(config, "docker_version")),
    author: asString(field(config, "author")),
    config: asObject(field(config, "config")),
    architecture: asString(field(config, "architecture")),
    variant: asString(field(config, "variant")),
    os: asString(field(config, "os")),
    size: isInt(size) ? size : 0,
  };
}

/** json.Marshal(V1Image) as [key, raw value] pairs in struct order, empty omitempty fields left out. */
function v1Fields(img: V1Image): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const opt = (key: string, value: string) => {
    if (value !== "") out.push([key, goQuote(value)]);
  };
  opt("id", img.id);
  opt("parent", img.parent);
  opt("comment", img.comment);
  out.push(["created", goQuote(img.created ? formatGoTime(img.created) : ZERO_TIME_TEXT)]);
  opt("container", img.container);
  out.push(["container_config", containerConfigJSON(img.containerConfig)]);
  opt("docker_version", img.dockerVersion);
  opt("author", img.author);
  if (img.config) out.push(["config", containerConfigJSON(img.config)]);
  opt("architecture", img.architecture);
  opt("variant", img.variant);
  opt("os", img.os);
  if (img.size !== 0) out.push(["Size", String(img.size)]);
  return out;
}

/** The `json` file of a layer directory. */
export function v1ImageJSON(img: V1Image): string {
  return `{${v1Fields(img).map(([k, raw]) => `${goQuote(k)}:${raw}`).join(",")}}`;
}

/** moby `v1.CreateID`: sha256 over the v1 image without `id`, keys sorted, plus `layer_id` and `parent`. */
export function createV1ID(digests: DigesterFactory, img: V1Image, chainID: Digest, parent: Digest | undefined): Digest {
  const fields = new Map(v1Fields({ ...img, id: "" }));
  fields.set("layer_id", goQuote(chainID));
  if (parent !== undefined) fields.set("parent", goQuote(parent));
  return digestOf(digests, new TextEncoder().encode(goMap([...fields])));
}

export interface V1Layer {
  /** The v1 ID (hex): the layer directory's name. */
  id: string;
  /** The `json` file content. */
  json: string;
}

/** The v1 directories of an image, bottom to top, as `saveImage` derives them. */
export function v1Layers(digests: DigesterFactory, config: Json, chain: readonly Digest[], os: string): V1Layer[] {
  const layers: V1Layer[] = [];
  let parent: Digest | undefined;
  for (let i = 0; i < chain.length; i++) {
    const img = i === chain.length - 1 ? v1ImageFromConfig(config) : emptyV1Image();
    const v1ID = createV1ID(digests, img, chain[i]!, parent);
    img.id = digestHex(v1ID);
    if (parent !== undefined) img.parent = digestHex(parent);
    img.os = os;
    layers.push({ id: img.id, json: v1ImageJSON(img) });
    parent = v1ID;
  }
  return layers;
}
