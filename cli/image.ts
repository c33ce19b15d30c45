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
  subCommands: { inspect, ls: images, prune, rm: rmi, history, tag, load, save },
});
