import { defineCommand } from "citty";
import create from "./create.ts";
import ps from "./ps.ts";
import rm from "./rm.ts";
import mount from "./mount.ts";
import umount from "./umount.ts";
import { inspectCommand } from "./inspect.ts";

export default defineCommand({
  meta: { name: "container", description: "Manage containers' storage" },
  subCommands: { create, ls: ps, ps, rm, inspect: inspectCommand(true), mount, umount },
});
