import { defineCommand } from "citty";
import { listImages, type ListOptions } from "../src/images/list.ts";
import { humanSize, timeAgo } from "../src/format/units.ts";
import { shortID } from "../src/images/lookup.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { renderTable, noTrunc } from "./format.ts";

export default defineCommand({
  meta: { name: "images", description: "List images" },
  args: {
    repository: { type: "positional", required: false, description: "Only images of REPOSITORY[:TAG]" },
    all: { type: "boolean", alias: "a", description: "Show all images (default hides intermediate images)" },
    quiet: { type: "boolean", alias: "q", description: "Only show image IDs" },
    "no-trunc": { type: "boolean", description: "Don't truncate output" },
    digests: { type: "boolean", description: "Show digests" },
    filter: { type: "string", alias: "f", description: "Filter output: dangling=true|false, reference=PATTERN" },
    format: { type: "string", description: "Output format: table (default) or json (one object per line)" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const options: ListOptions = { all: args.all, reference: args.repository };
    if (args.filter) applyFilter(options, args.filter);
    const format = args.format ?? "table";
    if (format !== "table" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want table or json)`);
    await withStore(ctx, async (store) => {
      const rows = await listImages(store, options);
      const now = Date.now();
      const id = (full: string) => (noTrunc(args) ? full : shortID(full));
      if (args.quiet) {
        const seen = new Set<string>();
        for (const r of rows) if (!seen.has(r.id)) seen.add(r.id), await ctx.out(id(r.id) + "\n");
        return;
      }
      if (format === "json") {
        for (const r of rows) {
          await ctx.out(JSON.stringify({
            Containers: "N/A", CreatedAt: dockerTime(r.created), CreatedSince: timeAgo(r.created, now), Digest: r.digest,
            ID: id(r.id), Repository: r.repository, SharedSize: "N/A", Size: humanSize(r.size), Tag: r.tag,
            UniqueSize: "N/A", VirtualSize: humanSize(r.size),
          }) + "\n");
        }
        return;
      }
      const headers = ["REPOSITORY", "TAG", ...(args.digests ? ["DIGEST"] : []), "IMAGE ID", "CREATED", "SIZE"];
      const table = rows.map((r) => [r.repository, r.tag, ...(args.digests ? [r.digest] : []), id(r.id), timeAgo(r.created, now), humanSize(r.size)]);
      await ctx.out(renderTable(headers, table));
    });
  },
});

function applyFilter(options: ListOptions, filter: string): void {
  const [key, value] = filter.split("=", 2) as [string, string | undefined];
  if (key === "dangling" && (value === "true" || value === "false")) options.dangling = value === "true";
  else if (key === "reference" && value) options.reference = value;
  else throw new WharfError("USAGE", `invalid filter "${filter}" (supported: dangling=true|false, reference=PATTERN)`);
}

/** Go's `time.Time.String()` as `docker images --format json` prints CreatedAt (UTC). */
function dockerTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC");
}
