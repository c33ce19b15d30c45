// wharf's command line: argument parsing only; the work lives in src/. One file per command.
import { defineCommand, type CommandDef } from "citty";
import tab from "@bomb.sh/tab/citty";
import { WHARF_VERSION } from "../src/version.ts";
import { runCli } from "./run.ts";
import version from "./version.ts";
import tar from "./tar.ts";
import digest from "./digest.ts";
import load from "./load.ts";
import save from "./save.ts";
import images from "./images.ts";
import image from "./image.ts";
import history from "./history.ts";
import tag from "./tag.ts";
import rmi from "./rmi.ts";
import system from "./system.ts";
import info from "./info.ts";

const main = defineCommand({
  meta: { name: "wharf", version: WHARF_VERSION, description: "Daemonless, Docker-compatible image and layer store" },
  // Parsed by run.ts before the command word; declared here for --help.
  args: {
    root: { type: "string", description: "Data root (default: $WHARF_ROOT, else /var/lib/wharf as root or ~/.local/share/wharf)" },
    driver: { type: "string", description: "Storage driver: overlay2 or vfs (default: what the root holds, else overlay2 when root and supported, else vfs)" },
  },
  subCommands: { load, save, images, image, history, tag, rmi, system, info, tar, digest, version },
});

await tab(main as CommandDef); // adds `wharf complete bash|zsh|fish|powershell`
await runCli(main as CommandDef);
