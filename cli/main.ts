// wharf's command line: argument parsing only; the work lives in src/. One file per command,
// each imported only when its word is given: a cold `wharf images` loads the modules `images`
// needs, not load's, save's or the WebAssembly codecs' (`--help` and `complete` load them all).
import { defineCommand, type CommandDef } from "citty";
import { WHARF_VERSION } from "../src/version.ts";
import { runCli } from "./run.ts";
import { splitGlobalOptions } from "./flags.ts";
import { cliContext } from "./context.ts";

type Lazy = () => Promise<CommandDef>;
const lazy = (load: () => Promise<{ default: unknown }>): Lazy => () => load().then((m) => m.default as CommandDef);

const main = defineCommand({
  meta: { name: "wharf", version: WHARF_VERSION, description: "Daemonless, Docker-compatible image and layer store" },
  // Parsed by run.ts before the command word; declared here for --help.
  args: {
    root: { type: "string", description: "Data root (default: $WHARF_ROOT, else $XDG_DATA_HOME/wharf or ~/.local/share/wharf)" },
    driver: { type: "string", description: "Storage driver: overlay2 or vfs (default: what the root holds, else overlay2 when root and supported, else vfs)" },
  },
  subCommands: {
    load: lazy(() => import("./load.ts")),
    save: lazy(() => import("./save.ts")),
    images: lazy(() => import("./images.ts")),
    image: lazy(() => import("./image.ts")),
    history: lazy(() => import("./history.ts")),
    tag: lazy(() => import("./tag.ts")),
    rmi: lazy(() => import("./rmi.ts")),
    system: lazy(() => import("./system.ts")),
    info: lazy(() => import("./info.ts")),
    tar: lazy(() => import("./tar.ts")),
    digest: lazy(() => import("./digest.ts")),
    version: lazy(() => import("./version.ts")),
    diff: lazy(() => import("./diff.ts")),
    commit: lazy(() => import("./commit.ts")),
    export: lazy(() => import("./export.ts")),
    create: lazy(() => import("./create.ts")),
    mount: lazy(() => import("./mount.ts")),
    umount: lazy(() => import("./umount.ts")),
    rm: lazy(() => import("./rm.ts")),
    ps: lazy(() => import("./ps.ts")),
    inspect: lazy(() => import("./inspect.ts")),
    container: lazy(() => import("./container.ts")),
    pull: lazy(() => import("./pull.ts")),
    push: lazy(() => import("./push.ts")),
    login: lazy(() => import("./login.ts")),
    logout: lazy(() => import("./logout.ts")),
    analyze: lazy(() => import("./analyze.ts")),
  },
});

/** The completion command walks (and so imports) every command: added only when it can be asked for. */
async function needsCompletion(): Promise<boolean> {
  const args = (await cliContext()).runtime.env?.args() ?? [];
  let rest: string[];
  try {
    rest = splitGlobalOptions(args).rest;
  } catch {
    return true; // run.ts reports the bad flag
  }
  const word = rest[0];
  return word === undefined || word === "complete" || word.startsWith("-") || rest.includes("--help") || rest.includes("-h");
}

if (await needsCompletion()) {
  const { default: tab } = await import("@bomb.sh/tab/citty");
  await tab(main as CommandDef); // adds `wharf complete bash|zsh|fish|powershell`
}
await runCli(main as CommandDef);
