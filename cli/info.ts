import { defineCommand } from "citty";
import { WHARF_VERSION } from "../src/version.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";

export default defineCommand({
  meta: { name: "info", description: "Display system-wide information" },
  args: { format: { type: "string", description: "Output format: text (default) or json" } },
  async run({ args }) {
    const ctx = await cliContext();
    const format = args.format ?? "text";
    if (format !== "text" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want text or json)`);
    await withStore(ctx, async (store) => {
      const status = await store.driver.status();
      const info = {
        Images: store.images.list().length,
        Layers: store.layers.list().length,
        Driver: store.driver.name,
        DriverStatus: status,
        DockerRootDir: store.root,
        ServerVersion: WHARF_VERSION,
        Runtime: ctx.runtime.name,
      };
      if (format === "json") return ctx.out(JSON.stringify(info) + "\n");
      const lines = [
        `Server Version: ${WHARF_VERSION} (wharf, on ${ctx.runtime.name})`,
        `Images: ${info.Images}`,
        `Layers: ${info.Layers}`,
        `Storage Driver: ${info.Driver}`,
        ...status.map(([k, v]) => ` ${k}: ${v}`),
        `Docker Root Dir: ${store.root}`,
      ];
      await ctx.out(lines.join("\n") + "\n");
    });
  },
});
