import { defineCommand } from "citty";
import { exportImage } from "../src/container/export.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { writeTarOutput } from "./export.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "export", description: "Export an image's flattened filesystem as a tar archive (wharf's own)" },
  args: {
    output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    if (args._.length !== 1) throw new WharfError("USAGE", '"image export" requires exactly 1 argument: IMAGE');
    await writeTarOutput(ctx, args.output, (store) => exportImage(store, args._[0]!));
  },
}));
