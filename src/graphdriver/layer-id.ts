/** Layer directory names a driver accepts: one plain path component (cache-ids are 64 hex). */
import { WharfError } from "../errors.ts";

export function checkLayerID(id: string): void {
  if (id === "" || id === "." || id === ".." || id.includes("/") || id.includes("\0")) {
    throw new WharfError("INVALID_ARGUMENT", `invalid layer id ${JSON.stringify(id)}: must be one plain path component`);
  }
}

export function notFound(driver: string, id: string): WharfError {
  return new WharfError("NOT_FOUND", `${driver}: layer ${id} does not exist`);
}
