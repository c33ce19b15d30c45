import { defineCommand } from "citty";
import { cliContext } from "./context.ts";
import { WHARF_VERSION } from "../src/version.ts";

export default defineCommand({
  meta: { name: "version", description: "Show wharf's version, runtime and hashing path" },
  args: {
    format: { type: "string", alias: "f", description: "Output format: json" },
  },
  async run({ args }) {
    const { runtime, out } = await cliContext();
    const info = {
      Version: WHARF_VERSION,
      Runtime: runtime.name,
      RuntimeVersion: runtimeVersion(),
      Digest: runtime.digests.kind === "native" ? "sha256 native" : "sha256 wasm",
      Mounts: runtime.mounts ? "yes" : "no",
    };
    if (args.format === "json") return out(JSON.stringify(info) + "\n");
    if (args.format) throw new Error(`unknown --format ${args.format} (want: json)`);
    const width = Math.max(...Object.keys(info).map((k) => k.length)) + 2;
    await out(Object.entries(info).map(([k, v]) => `${(k + ":").padEnd(width)}${v}`).join("\n") + "\n");
  },
});

function runtimeVersion(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string }; process?: { version: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${g.process?.version ?? "?"}`;
}
