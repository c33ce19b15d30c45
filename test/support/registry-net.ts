/**
 * Small helpers shared by the registry test support files (registry.ts, registry-token.ts,
 * registry-proxy.ts): temp dirs, loopback servers, one-shot tool runs. node:* only, so they run
 * the same under Node, Deno and Bun.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const LOOPBACK = "127.0.0.1";

export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A port that was free a moment ago: bind 127.0.0.1:0, read the port, close. For children that need --addr. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port from 127.0.0.1:0"))));
    });
  });
}

/** Listens on 127.0.0.1 on a port the OS picks and returns "127.0.0.1:PORT". */
export function listenLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const addr = server.address();
      if (typeof addr === "object" && addr) resolve(`${LOOPBACK}:${addr.port}`);
      else reject(new Error("server has no address"));
    });
  });
}

/**
 * Closes a server without waiting for idle keep-alive connections (fetch keeps them open).
 * closeAllConnections is missing on some runtimes' node:http, hence the optional call.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** Runs a tool (htpasswd, openssl) without a shell; rejects with its stderr on failure. */
export function runTool(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
