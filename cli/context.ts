// What every command gets: the runtime's ports, and writers for stdout/stderr.
import { getRuntime } from "../src/runtime/index.ts";
import type { Runtime, StdioPort } from "../src/ports.ts";
import { WharfError } from "../src/errors.ts";

const encoder = new TextEncoder();

export interface CliContext {
  runtime: Runtime;
  /** `--root` and `--driver`, given before the command word. */
  globals: { root?: string; driver?: string };
  stdio: StdioPort;
  out(text: string): Promise<void>;
  err(text: string): Promise<void>;
}

let cached: Promise<CliContext> | undefined;

export function cliContext(): Promise<CliContext> {
  cached ??= (async () => {
    const runtime = await getRuntime();
    const stdio = runtime.stdio;
    if (!stdio) throw new WharfError("UNSUPPORTED", `the ${runtime.name} runtime has no standard streams`);
    const write = async (stream: WritableStream<Uint8Array>, text: string) => {
      const writer = stream.getWriter();
      try {
        await writer.write(encoder.encode(text));
      } finally {
        writer.releaseLock();
      }
    };
    return {
      runtime,
      globals: {},
      stdio,
      out: (text) => write(stdio.stdout, text),
      err: (text) => write(stdio.stderr, text),
    };
  })();
  return cached;
}
