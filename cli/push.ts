import { defineCommand } from "citty";
import { pushImage } from "../src/distribution/push.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { credentialsFor, insecureRegistries, insecureRegistryArg, layerLines } from "./registry-common.ts";

export default defineCommand({
  meta: { name: "push", description: "Upload an image to a registry (OCI distribution API)" },
  args: {
    name: { type: "positional", required: true, description: "NAME[:TAG]" },
    quiet: { type: "boolean", alias: "q", description: "Suppress verbose output" },
    ...insecureRegistryArg,
  },
  async run({ args }) {
    const ctx = await cliContext();
    const ref = parseNormalizedNamed(args.name);
    const credentials = await credentialsFor(ctx, ref.domain);
    await withStore(ctx, async (store) => {
      const lines = layerLines(ctx, Boolean(args.quiet));
      const result = await pushImage(store, args.name, {
        runtime: ctx.runtime,
        credentials,
        insecureRegistries: insecureRegistries(args["insecure-registry"]),
        events: { start: (line) => lines.line(line), layer: (id, status, progress) => lines.layer(id, status, progress) },
      }).finally(() => lines.done());
      await ctx.out(args.quiet ? `${result.reference.toString()}\n` : `${result.reference.tag}: digest: ${result.digest} size: ${result.size}\n`);
    });
  },
});
