/**
 * Credentials in Docker's client config (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): `auths` maps a registry to `{"auth": base64("user:pass")}`, or to an
 * `identitytoken` (an OAuth2 refresh token) with the user name. Other keys of the file are kept
 * as they are; the file is written atomically with mode 0600. When the file names a credential
 * helper for the registry (`credHelpers`, else `credsStore`), the secret lives with the helper
 * and `auths` keeps an empty entry, as Docker does. Secrets never leave this module except
 * towards the registry or the helper.
 */
import type { EnvPort, FilesPort, ProcessesPort } from "../ports.ts";
import { helperErase, helperGet, helperStore } from "./cred-helpers.ts";
import { WharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { base64Utf8, decodeBase64Utf8, type RegistryCredentials } from "./auth.ts";
import { DOCKER_HUB_DOMAIN } from "./client.ts";

/** The key Docker files Docker Hub's credentials under. */
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";
const HUB_ALIASES = new Set([DOCKER_HUB_DOMAIN, "index.docker.io", "registry-1.docker.io"]);

export function dockerConfigPath(env: Pick<EnvPort, "get">): string {
  const dir = env.get("DOCKER_CONFIG");
  if (dir) return `${dir.replace(/\/+$/, "")}/config.json`;
  const home = env.get("HOME");
  if (!home) throw new WharfError("NOT_FOUND", "cannot find the Docker client config: neither DOCKER_CONFIG nor HOME is set");
  return `${home.replace(/\/+$/, "")}/.docker/config.json`;
}

/** `https://host/v1/` → `host`, as Docker's `ConvertToHostname`. */
function hostOfKey(key: string): string {
  const bare = key.replace(/^https?:\/\//, "");
  return bare.split("/")[0]!;
}

function sameRegistry(key: string, domain: string): boolean {
  const host = hostOfKey(key);
  return host === domain || (HUB_ALIASES.has(host) && HUB_ALIASES.has(domain));
}

export function credentialKey(domain: string): string {
  return HUB_ALIASES.has(domain) ? DOCKER_HUB_KEY : domain;
}

type ConfigFile = Record<string, unknown> & {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
};

/** The helper that holds `domain`'s secret: its `credHelpers` entry, else `credsStore`; undefined for the file itself. */
function helperFor(config: ConfigFile, domain: string): string | undefined {
  const helpers = config.credHelpers;
  if (helpers && typeof helpers === "object") {
    const key = Object.keys(helpers).find((k) => sameRegistry(k, domain));
    const name = key === undefined ? undefined : helpers[key];
    if (typeof name === "string" && name !== "") return name;
  }
  return typeof config.credsStore === "string" && config.credsStore !== "" ? config.credsStore : undefined;
}

async function readConfig(files: FilesPort, path: string): Promise<ConfigFile> {
  const info = await files.stat(path);
  if (!info) return {};
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(await files.readFile(path)));
  } catch (e) {
    throw new WharfError("INVALID_ARGUMENT", `${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new WharfError("INVALID_ARGUMENT", `${path}: not a JSON object`);
  const config = value as ConfigFile;
  if (config.auths !== undefined && (config.auths === null || typeof config.auths !== "object")) throw new WharfError("INVALID_ARGUMENT", `${path}: "auths" is not an object`);
  return config;
}

/** `processes` runs credential helpers; without it (a browser) only inline `auths` are read. */
export async function readCredentials(files: FilesPort, path: string, domain: string, processes?: ProcessesPort): Promise<RegistryCredentials | undefined> {
  const config = await readConfig(files, path);
  const helper = helperFor(config, domain);
  if (helper !== undefined && processes) return helperGet(processes, helper, credentialKey(domain));
  const auths = config.auths ?? {};
  const key = Object.keys(auths).find((k) => k === credentialKey(domain)) ?? Object.keys(auths).find((k) => sameRegistry(k, domain));
  if (key === undefined) return undefined;
  const entry = auths[key] ?? {};
  let username = entry.username;
  let password = entry.password;
  if (typeof entry.auth === "string" && entry.auth !== "") {
    let decoded: string;
    try {
      decoded = decodeBase64Utf8(entry.auth);
    } catch {
      throw new WharfError("INVALID_ARGUMENT", `${path}: the auth of ${key} is not base64`);
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new WharfError("INVALID_ARGUMENT", `${path}: the auth of ${key} is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = typeof entry.identitytoken === "string" && entry.identitytoken ? entry.identitytoken : undefined;
  if (identityToken) return { username, identityToken };
  if (username === undefined || password === undefined || (username === "" && password === "")) return undefined;
  return { username, password };
}

async function writeConfig(files: FilesPort, path: string, config: ConfigFile): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await files.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files, path, new TextEncoder().encode(JSON.stringify(config, null, "\t")), { mode: 0o600 });
}

export async function storeCredentials(files: FilesPort, path: string, domain: string, credentials: RegistryCredentials, processes?: ProcessesPort): Promise<void> {
  const config = await readConfig(files, path);
  const auths = { ...(config.auths ?? {}) };
  for (const k of Object.keys(auths)) if (sameRegistry(k, domain)) delete auths[k];
  const helper = helperFor(config, domain);
  if (helper !== undefined && processes) await helperStore(processes, helper, credentialKey(domain), credentials);
  auths[credentialKey(domain)] = helper !== undefined && processes ? {}
    : credentials.identityToken
    ? { auth: base64Utf8(`${credentials.username ?? ""}:`), identitytoken: credentials.identityToken }
    : { auth: base64Utf8(`${credentials.username ?? ""}:${credentials.password ?? ""}`) };
  await writeConfig(files, path, { ...config, auths });
}

/** Removes the registry's entry; false when there was none. */
export async function removeCredentials(files: FilesPort, path: string, domain: string, processes?: ProcessesPort): Promise<boolean> {
  const config = await readConfig(files, path);
  const helper = helperFor(config, domain);
  const erased = helper !== undefined && processes ? await helperErase(processes, helper, credentialKey(domain)) : false;
  const auths = { ...(config.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => sameRegistry(k, domain));
  if (keys.length === 0) return erased;
  for (const k of keys) delete auths[k];
  await writeConfig(files, path, { ...config, auths });
  return true;
}
