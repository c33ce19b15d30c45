/**
 * Runs the wharf CLI as a child process on the runtime the test itself runs on: Deno and Bun
 * run cli/main.ts directly, Node runs it through tsx (the same source the bundle is built from).
 */
import { getRuntime } from "../../src/runtime/index.ts";
import { fixturePath } from "./fixtures.ts";

const decoder = new TextDecoder();
const repo = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line wharf is run with (deno/bun/tsx and their arguments), for tests that spawn it themselves. */
export async function wharfCommand(): Promise<[string, string[]]> {
  const rt = await getRuntime();
  return rt.name === "deno" ? [`${repo}/node_modules/.bin/deno`, ["run", "-A", `${repo}/cli/main.ts`]]
    : rt.name === "bun" ? [`${repo}/node_modules/.bin/bun`, [`${repo}/cli/main.ts`]]
    : [`${repo}/node_modules/.bin/tsx`, [`${repo}/cli/main.ts`]];
}

/** `env` is added to the environment (e.g. DOCKER_CONFIG for registry tests). */
export async function wharf(args: string[], stdin?: Uint8Array, env: Record<string, string> = {}): Promise<CliResult> {
  const rt = await getRuntime();
  const [cmd, prefix] = await wharfCommand();
  const r = await rt.processes!.run(cmd, [...prefix, ...args], { stdin, cwd: repo, env: { NO_COLOR: "1", ...env } });
  return { code: r.code, stdout: decoder.decode(r.stdout), stderr: decoder.decode(r.stderr) };
}

/** Runs a system tool (sha256sum, gzip, zstd, tar) and returns its stdout bytes; throws on failure. */
export async function tool(cmd: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const rt = await getRuntime();
  const r = await rt.processes!.run(cmd, args, { stdin });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${decoder.decode(r.stderr)}`);
  return r.stdout;
}

let loadedRoots = 0;

/** A fresh data-root under `dir` with multi.tar loaded through the CLI (for container tests). */
export async function loadedMultiRoot(dir: string, driver: string): Promise<string> {
  const root = `${dir}/root${loadedRoots++}`;
  const r = await wharf(["--root", root, "--driver", driver, "load", "-q", "-i", fixturePath("docker-save/multi.tar")]);
  if (r.code !== 0) throw new Error(`wharf load into ${root} exited ${r.code}: ${r.stderr}`);
  return root;
}

export { repo };
