import { defineCommand } from "citty";
import df from "./system-df.ts";
import info from "./info.ts";

export default defineCommand({
  meta: { name: "system", description: "Manage wharf" },
  subCommands: { df, info },
});
