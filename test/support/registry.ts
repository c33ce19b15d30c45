/**
 * A real registry for registry-client tests: Debian's `docker-registry` (CNCF distribution
 * 2.8.2) run as a child process on 127.0.0.1, storage in a temp dir, optionally behind htpasswd
 * or token auth (registry-token.ts), optionally behind a misbehaving proxy (registry-proxy.ts).
 * Plus raw push helpers for seeding content the client under test cannot make itself
 * (hand-built indexes, odd media types). Every piece listens on 127.0.0.1 only; the test stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { freePort, LOOPBACK, makeTempDir, removeDir, runTool, sha256Digest } from "./registry-net.ts";
import type { TokenServer } from "./registry-token.ts";

export { startTokenServer, type TokenServer, type TokenRequest } from "./registry-token.ts";
export { startProxy, type ProxyBehaviour, type RunningProxy } from "./registry-proxy.ts";

export interface RunningRegistry {
  /** "127.0.0.1:PORT", for image references. */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** storage.filesystem.rootdirectory */
  storage: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  auth?: { htpasswd: Record<string, string> } | { token: TokenServer };
}

const REGISTRY_BIN = "/usr/bin/docker-registry";
const STARTUP_MS = 10_000;
const TAIL_CHARS = 4000;

/** Registries not yet stopped: killed (and their dirs removed) on exit, so a crashed test leaves nothing behind. */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function track(child: ChildProcess, dir: string): void {
  live.set(child, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [c, d] of live) {
      c.kill("SIGKILL");
      rmSync(d, { recursive: true, force: true });
    }
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  // The port is free when picked but another process may take it before the registry binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(options: RegistryOptions): Promise<RunningRegistry> {
  const dir = await makeTempDir("wharf-registry-");
  const storage = join(dir, "storage");
  let child: ChildProcess | undefined;
  let exited: Promise<string> = Promise.resolve("");
  try {
    const port = await freePort();
    const host = `${LOOPBACK}:${port}`;
    const url = `http://${host}`;
    const config = join(dir, "config.yml");
    await writeFile(config, await configYaml(dir, storage, host, options));

    // REGISTRY_* variables override config.yml; a stray one in the environment must not leak in.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("REGISTRY_") && v !== undefined) env[k] = v;
    child = spawn(REGISTRY_BIN, ["serve", config], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    track(child, dir);
    let tail = "";
    const keep = (d: Uint8Array | string): void => {
      tail = (tail + d.toString()).slice(-TAIL_CHARS);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    exited = new Promise<string>((resolve) => {
      child!.once("error", (e) => resolve(`spawn failed: ${e.message}`));
      child!.once("exit", (code, signal) => resolve(`exited with ${signal ?? code}`));
    });

    // Whichever comes first: an answer on /v2/, the poll giving up, or the child dying.
    const failure = await Promise.race([waitForV2(url).then(() => undefined, (e: Error) => e.message), exited]);
    if (failure !== undefined) throw new Error(`docker-registry did not start on ${host}: ${failure}\n--- output tail ---\n${tail}`);

    const running = child;
    const gone = exited;
    let stopping: Promise<void> | undefined;
    return {
      host,
      url,
      storage,
      stop: () => (stopping ??= stopChild(running, gone).then(() => removeDir(dir)).then(() => void live.delete(running))),
    };
  } catch (e) {
    if (child) await stopChild(child, exited);
    await removeDir(dir);
    if (child) live.delete(child);
    throw e;
  }
}

async function configYaml(dir: string, storage: string, addr: string, options: RegistryOptions): Promise<string> {
  // JSON strings are valid YAML double-quoted scalars, so paths need no further escaping.
  const q = JSON.stringify;
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${q(storage)}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: ${q(addr)}`,
    // A fixed secret: without one the registry warns and makes its own.
    "  secret: wharf-test-secret",
  ];
  const auth = options.auth;
  if (auth && "htpasswd" in auth) {
    const path = join(dir, "htpasswd");
    let file = "";
    for (const [user, password] of Object.entries(auth.htpasswd)) {
      // -B: bcrypt, the only hash distribution accepts.
      file += (await runTool("htpasswd", ["-Bbn", user, password])).trim() + "\n";
    }
    await writeFile(path, file);
    lines.push("auth:", "  htpasswd:", "    realm: wharf-test", `    path: ${q(path)}`);
  } else if (auth && "token" in auth) {
    const t = auth.token;
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${q(t.realm)}`,
      `    service: ${q(t.service)}`,
      `    issuer: ${q(t.issuer)}`,
      `    rootcertbundle: ${q(t.certPath)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Polls GET /v2/ until it answers at all (200, or 401 under auth). */
async function waitForV2(url: string): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`GET ${url}/v2/ gave no answer within ${STARTUP_MS / 1000}s (${last})`);
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = new Promise<"late">((r) => setTimeout(() => r("late"), 5000));
  if ((await Promise.race([exited, timer])) === "late") {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * Monolithic blob upload: POST /v2/<repo>/blobs/uploads/ then PUT <Location>&digest=…
 * `headers` go on both requests (e.g. Authorization). Returns the digest.
 */
export async function pushRawBlob(registryUrl: string, repo: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256Digest(data);
  const start = await fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: "POST", headers });
  await expectStatus(start, 202, `POST /v2/${repo}/blobs/uploads/`);
  const location = start.headers.get("location");
  if (!location) throw new Error(`POST /v2/${repo}/blobs/uploads/: no Location header`);
  const put = new URL(location, registryUrl);
  put.searchParams.set("digest", digest);
  const res = await fetch(put, {
    method: "PUT",
    headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(data.length) },
    body: new Uint8Array(data), // an ArrayBuffer-backed copy, which is what BodyInit takes
  });
  await expectStatus(res, 201, `PUT blob ${digest}`);
  return digest;
}

/** PUT /v2/<repo>/manifests/<reference> with the exact bytes given. Returns the manifest digest. */
export async function putRawManifest(
  registryUrl: string,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
): Promise<string> {
  const digest = sha256Digest(bytes);
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { ...headers, "content-type": mediaType },
    body: new Uint8Array(bytes),
  });
  await expectStatus(res, 201, `PUT /v2/${repo}/manifests/${reference}`);
  const echoed = res.headers.get("docker-content-digest");
  if (echoed && echoed !== digest) throw new Error(`registry says manifest digest ${echoed}, bytes hash to ${digest}`);
  return digest;
}

async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status === status) {
    await res.body?.cancel();
    return;
  }
  throw new Error(`${what}: HTTP ${res.status} (wanted ${status}): ${await res.text()}`);
}
