import { defineCommand } from "citty";
import { loadImages } from "../src/tarexport/load.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { progressBar } from "./progress.ts";

export default defineCommand({
  meta: { name: "load", description: "Load images from a tar archive (docker save output or an OCI layout), plain or compressed" },
  args: {
    input: { type: "string", alias: "i", description: "Read from a tar archive file (or an OCI layout directory) instead of STDIN" },
    quiet: { type: "boolean", alias: "q", description: "Suppress the load output" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    if (!args.input && ctx.stdio.isTerminal(0)) {
      throw new WharfError("USAGE", "requested load from stdin, but stdin is empty (use -i FILE or pipe an archive)");
    }
    await withStore(ctx, async (store) => {
      const bar = args.quiet ? undefined : progressBar(ctx, "Loading layers");
      const input = args.input ? { path: args.input } : { stream: ctx.stdio.stdin(), label: "stdin" };
      const result = await loadImages(store, input, {
        runtime: ctx.runtime,
        onProgress: (done, total) => bar?.update(done, total),
      }).finally(() => bar?.done());
      if (!args.quiet) for (const line of result.messages) await ctx.out(line + "\n");
    });
  },
});
