import { defineCommand } from "citty";
import { createContainer } from "../src/container/create.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { optionsEndAtFirstArgument } from "./flags.ts";
import { withStore } from "./store.ts";

/** Options end at IMAGE (Docker's create is not interspersed): `create --name x img ls -l` runs `ls -l`. */
export function parseCreateArgs(raw: string[]): { name?: string; image: string; cmd: string[] } {
  let name: string | undefined;
  let i = 0;
  for (; i < raw.length; i++) {
    const arg = raw[i]!;
    if (arg === "--") { i++; break; }
    if (!arg.startsWith("-")) break;
    if (arg === "--name") {
      name = raw[++i];
      if (name === undefined) throw new WharfError("USAGE", "flag needs an argument: --name");
    } else if (arg.startsWith("--name=")) name = arg.slice("--name=".length);
    else throw new WharfError("USAGE", `unknown flag: ${arg}`);
  }
  const image = raw[i];
  if (image === undefined) throw new WharfError("USAGE", '"create" requires at least 1 argument: IMAGE [COMMAND] [ARG...]');
  return { name, image, cmd: raw.slice(i + 1) };
}

export default optionsEndAtFirstArgument(defineCommand({
  meta: { name: "create", description: "Create a new container (its init and read-write layers)" },
  args: {
    name: { type: "string", description: "Assign a name to the container" },
    image: { type: "positional", required: false, description: "IMAGE [COMMAND] [ARG...]" },
  },
  async run({ rawArgs }) {
    const ctx = await cliContext();
    const { name, image, cmd } = parseCreateArgs(rawArgs);
    await withStore(ctx, async (store) => {
      const container = await createContainer(store, image, { name, cmd });
      await ctx.out(`${container.id}\n`);
    });
  },
}));
