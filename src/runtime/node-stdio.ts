/**
 * Stdio and environment over `node:process` (Node, and Bun which implements it). node:*
 * imported dynamically; see node-files.ts.
 */
import type { EnvPort, StdioPort } from "../ports.ts";
import { goArch } from "./go-arch.ts";

export async function nodeStdio(): Promise<StdioPort> {
  const { default: process } = await import("node:process");
  const { Readable, Writable } = await import("node:stream");
  const { isatty } = await import("node:tty");
  let stdout: WritableStream<Uint8Array> | undefined;
  let stderr: WritableStream<Uint8Array> | undefined;
  return {
    // Created on first use: wrapping stdin starts reading it.
    stdin: () => Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>,
    // Writable.toWeb waits for 'drain' when the stream's buffer is full: backpressure.
    get stdout() {
      return (stdout ??= Writable.toWeb(process.stdout) as WritableStream<Uint8Array>);
    },
    get stderr() {
      return (stderr ??= Writable.toWeb(process.stderr) as WritableStream<Uint8Array>);
    },
    isTerminal: (fd) => isatty(fd),
  };
}

/** `argv` minus the runtime and script (`node script.ts a b` → `[a, b]`). */
export async function nodeEnv(): Promise<EnvPort> {
  const { default: process } = await import("node:process");
  return {
    get: (name) => process.env[name],
    args: () => process.argv.slice(2),
    cwd: () => process.cwd(),
    uid: () => (typeof process.geteuid === "function" ? process.geteuid() : -1),
    platform: () => ({ os: process.platform === "win32" ? "windows" : process.platform, architecture: goArch(process.arch) }),
    exit: (code) => process.exit(code),
  };
}
