import { defineCommand } from "citty";
import ls from "./tar-ls.ts";

export default defineCommand({
  meta: { name: "tar", description: "Inspect tar archives (plain, gzip or zstd)" },
  subCommands: { ls },
});
