import { defineCommand } from "citty";
import { imageHistory } from "../src/images/history.ts";
import { humanSize, timeAgo } from "../src/format/units.ts";
import { shortID } from "../src/images/lookup.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { renderTable, noTrunc } from "./format.ts";

export default defineCommand({
  meta: { name: "history", description: "Show the history of an image" },
  args: {
    image: { type: "positional", required: true, description: "Image name or ID" },
    human: { type: "boolean", alias: "H", default: true, description: "Print sizes and dates in human readable format (default true)" },
    "no-trunc": { type: "boolean", description: "Don't truncate output" },
    quiet: { type: "boolean", alias: "q", description: "Only show image IDs" },
    format: { type: "string", description: "Output format: table (default) or json" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const format = args.format ?? "table";
    if (format !== "table" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want table or json)`);
    await withStore(ctx, async (store) => {
      const rows = await imageHistory(store, ctx.runtime.digests, args.image);
      const now = Date.now();
      const id = (v: string) => (v === "<missing>" || noTrunc(args) ? v : shortID(v));
      const createdBy = (v: string) => {
        const flat = v.replaceAll("\t", " ");
        return noTrunc(args) || [...flat].length <= 45 ? flat : [...flat].slice(0, 44).join("") + "…";
      };
      const created = (ms: number) => (args.human ? timeAgo(ms, now) : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));
      const size = (n: number) => (args.human ? humanSize(n) : String(n));
      if (args.quiet) {
        for (const r of rows) await ctx.out(id(r.id) + "\n");
      } else if (format === "json") {
        for (const r of rows) {
          await ctx.out(JSON.stringify({
            Comment: r.comment, CreatedAt: new Date(r.created).toISOString().replace(/\.\d+Z$/, "Z"), CreatedBy: createdBy(r.createdBy),
            CreatedSince: timeAgo(r.created, now), ID: id(r.id), Size: size(r.size),
          }) + "\n");
        }
      } else {
        await ctx.out(renderTable(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], rows.map((r) => [id(r.id), created(r.created), createdBy(r.createdBy), size(r.size), r.comment])));
      }
    });
  },
});
