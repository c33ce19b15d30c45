import { defineCommand } from "citty";
import { pullImage } from "../src/distribution/pull.ts";
import { parsePlatform } from "../src/distribution/manifest.ts";
import { parseDockerRef } from "../src/reference/reference.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { credentialsFor, insecureRegistries, insecureRegistryArg, layerLines } from "./registry-common.ts";

export default defineCommand({
  meta: { name: "pull", description: "Download an image from a registry (OCI distribution API)" },
  args: {
    name: { type: "positional", required: true, description: "NAME[:TAG|@DIGEST]" },
    platform: { type: "string", description: "Pick this os/arch[/variant] from a multi-platform image (default: this machine's)" },
    quiet: { type: "boolean", alias: "q", description: "Suppress verbose output" },
    "max-concurrent": { type: "string", description: "Layers downloaded at once (default 3)" },
    ...insecureRegistryArg,
  },
  async run({ args }) {
    const ctx = await cliContext();
    const ref = parseDockerRef(args.name);
    const platform = args.platform ? parsePlatform(args.platform) : undefined;
    const maxConcurrent = args["max-concurrent"] === undefined ? 3 : Number(args["max-concurrent"]);
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new WharfError("USAGE", `invalid --max-concurrent ${JSON.stringify(args["max-concurrent"])}: expected a positive integer`);
    const credentials = await credentialsFor(ctx, ref.domain);
    await withStore(ctx, async (store) => {
      const lines = layerLines(ctx, Boolean(args.quiet));
      const result = await pullImage(store, args.name, {
        runtime: ctx.runtime,
        credentials,
        insecureRegistries: insecureRegistries(args["insecure-registry"]),
        platform,
        maxConcurrent,
        events: { start: (line) => lines.line(line), layer: (id, status, progress) => lines.layer(id, status, progress) },
      }).finally(() => lines.done());
      const shown = result.reference.familiarString();
      if (!args.quiet) {
        await ctx.out(`Digest: ${result.manifestDigest}\n`);
        await ctx.out(result.changed ? `Status: Downloaded newer image for ${shown}\n` : `Status: Image is up to date for ${shown}\n`);
      }
      await ctx.out(`${result.reference.toString()}\n`);
    });
  },
});
