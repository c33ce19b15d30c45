import { defineCommand } from "citty";
import { containerCommand, containerSizes } from "../src/container/inspect.ts";
import type { Container } from "../src/container/container.ts";
import { humanSize, timeAgo } from "../src/format/units.ts";
import { resolveImage, shortID } from "../src/images/lookup.ts";
import { WharfError } from "../src/errors.ts";
import type { Store } from "../src/store/root.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { renderTable, noTrunc } from "./format.ts";

/** The Docker CLI's Ellipsis: at most `max` characters, the last one `…` when cut. */
function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "…";
}

/** Go's strconv.Quote for the printable ASCII commands are made of. */
function goQuoteCommand(text: string): string {
  return JSON.stringify(text);
}

/** moby list: the name the user gave while it still names the container's image; else the image ID (short in tables). */
function imageColumn(store: Store, c: Container, trunc: boolean): string {
  let image = c.imageName;
  if (image !== c.image) {
    let current: string | undefined;
    try {
      current = resolveImage(store, image);
    } catch {
      current = undefined;
    }
    if (current !== c.image) image = c.image;
  }
  return trunc && image === c.image ? shortID(image) : image;
}

export default defineCommand({
  meta: { name: "ps", description: "List containers" },
  args: {
    all: { type: "boolean", alias: "a", description: "Show all containers (every wharf container is created, never running)" },
    quiet: { type: "boolean", alias: "q", description: "Only display container IDs" },
    size: { type: "boolean", alias: "s", description: "Display total file sizes" },
    "no-trunc": { type: "boolean", description: "Don't truncate output" },
    format: { type: "string", description: "Output format: table (default) or json (one object per line)" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const format = args.format ?? "table";
    if (format !== "table" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want table or json)`);
    const trunc = !noTrunc(args);
    await withStore(ctx, async (store) => {
      // Like docker ps without -a: only running containers, and wharf runs none.
      const containers = args.all ? store.containers.list() : [];
      if (args.quiet) {
        for (const c of containers) await ctx.out(`${trunc ? c.id.slice(0, 12) : c.id}\n`);
        return;
      }
      const now = Date.now();
      const rows = [];
      for (const c of containers) {
        const command = trunc ? ellipsis(containerCommand(c), 20) : containerCommand(c);
        const sizes = args.size ? await containerSizes(store, c) : undefined;
        rows.push({
          id: trunc ? c.id.slice(0, 12) : c.id,
          image: imageColumn(store, c, trunc),
          command: goQuoteCommand(command),
          created: timeAgo(Date.parse(c.created), now),
          createdAt: c.created,
          name: c.name,
          size: sizes ? `${humanSize(sizes.rw)} (virtual ${humanSize(sizes.rootFs)})` : "",
          labels: Object.entries(c.config.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
        });
      }
      if (format === "json") {
        for (const r of rows) {
          await ctx.out(JSON.stringify({
            Command: r.command, CreatedAt: r.createdAt, ID: r.id, Image: r.image, Labels: r.labels, LocalVolumes: "0",
            Mounts: "", Names: r.name, Networks: "", Ports: "", RunningFor: r.created, Size: args.size ? r.size : "0B",
            State: "created", Status: "Created",
          }) + "\n");
        }
        return;
      }
      const headers = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", ...(args.size ? ["SIZE"] : [])];
      await ctx.out(renderTable(headers, rows.map((r) => [r.id, r.image, r.command, r.created, "Created", "", r.name, ...(args.size ? [r.size] : [])])));
    });
  },
});
