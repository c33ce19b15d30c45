import { defineCommand } from "citty";
import inspect from "./image-inspect.ts";
import prune from "./image-prune.ts";
import images from "./images.ts";
import rmi from "./rmi.ts";
import history from "./history.ts";
import tag from "./tag.ts";
import load from "./load.ts";
import save from "./save.ts";

export default defineCommand({
  meta: { name: "image", description: "Manage images" },
  // export is wharf's own; loaded only when asked for (it pulls in the tar writer and the drivers' mounts).
  subCommands: { inspect, ls: images, prune, rm: rmi, history, tag, load, save, export: () => import("./image-export.ts").then((m) => m.default) },
});
