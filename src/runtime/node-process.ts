/** ProcessesPort over `node:child_process` (Node and Bun). No shell is involved. */
import { WharfError } from "../errors.ts";
import type { ProcessResult, ProcessesPort } from "../ports.ts";

/** node:* imported dynamically; see node-files.ts. */
export async function nodeProcesses(): Promise<ProcessesPort> {
  const { spawn } = await import("node:child_process");
  const { default: process } = await import("node:process");
  const run: ProcessesPort["run"] = (cmd, args, options = {}) =>
    new Promise<ProcessResult>((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
        shell: false,
      });
      const stdout: Uint8Array[] = [];
      const stderr: Uint8Array[] = [];
      child.stdout!.on("data", (chunk: Uint8Array) => stdout.push(chunk));
      child.stderr!.on("data", (chunk: Uint8Array) => stderr.push(chunk));
      child.on("error", (e: NodeJS.ErrnoException) => {
        const errno = typeof e.code === "string" ? e.code : undefined;
        reject(new WharfError("PROCESS", `${cmd}: ${errno ?? e.message}`, { errno, cause: e }));
      });
      child.on("close", (code, signal) => {
        resolve({ code: code ?? 128 + signalNumber(signal), stdout: concat(stdout), stderr: concat(stderr) });
      });
      if (options.stdin) {
        // A child that exits without reading its stdin makes the pipe fail with EPIPE; the exit code tells the story.
        child.stdin!.on("error", () => {});
        child.stdin!.end(options.stdin);
      }
    });
  return { run };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** Shell convention: a child killed by signal N reports 128 + N. */
function signalNumber(signal: string | null): number {
  return signal ? (SIGNALS[signal] ?? 0) : 0;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
