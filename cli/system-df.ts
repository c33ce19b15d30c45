import { defineCommand } from "citty";
import { containerDiskUsage, imageDiskUsage } from "../src/images/disk-usage.ts";
import { humanSize } from "../src/format/units.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { renderTable } from "./format.ts";

export default defineCommand({
  meta: { name: "df", description: "Show disk usage" },
  args: { format: { type: "string", description: "Output format: table (default) or json" } },
  async run({ args }) {
    const ctx = await cliContext();
    const format = args.format ?? "table";
    if (format !== "table" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want table or json)`);
    await withStore(ctx, async (store) => {
      const containers = await containerDiskUsage(store);
      const images = imageDiskUsage(store, containers.activeImages);
      const percent = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((part * 100) / whole)}%)` : "");
      const rows = [
        { Type: "Images", TotalCount: images.total, Active: images.active, Size: humanSize(images.size), Reclaimable: `${humanSize(images.reclaimable)}${percent(images.reclaimable, images.size)}` },
        { Type: "Containers", TotalCount: containers.usage.total, Active: containers.usage.active, Size: humanSize(containers.usage.size), Reclaimable: `${humanSize(containers.usage.reclaimable)}${percent(containers.usage.reclaimable, containers.usage.size)}` },
      ];
      if (format === "json") {
        for (const r of rows) await ctx.out(JSON.stringify({ Active: String(r.Active), Reclaimable: r.Reclaimable, Size: r.Size, TotalCount: String(r.TotalCount), Type: r.Type }) + "\n");
        return;
      }
      await ctx.out(renderTable(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows.map((r) => [r.Type, String(r.TotalCount), String(r.Active), r.Size, r.Reclaimable])));
    });
  },
});
