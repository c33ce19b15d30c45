/**
 * The file system a driver's home lives on, as `docker info` names it ("Backing Filesystem"),
 * read from /proc/self/mountinfo: the mount whose mount point is the longest prefix of the path.
 */
import type { FilesPort } from "../ports.ts";

export interface MountInfoEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Docker's names (graphdriver FsNames) for the kernel's file system types that differ. */
const DOCKER_FS_NAMES: Record<string, string> = { ext2: "extfs", ext3: "extfs", ext4: "extfs", overlay: "overlayfs" };

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields.length < dash + 3) continue;
    entries.push({ mountPoint: unescape(fields[4]!), fsType: fields[dash + 1]!, source: unescape(fields[dash + 2]!) });
  }
  return entries;
}

/** The mount holding `path` (absolute); the last matching line wins, as later mounts cover earlier ones. */
export function mountContaining(entries: readonly MountInfoEntry[], path: string): MountInfoEntry | undefined {
  let best: MountInfoEntry | undefined;
  for (const entry of entries) {
    const mp = entry.mountPoint;
    const inside = mp === "/" || path === mp || path.startsWith(mp.endsWith("/") ? mp : `${mp}/`);
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = entry;
  }
  return best;
}

/** Docker's name for the file system under `path`, or "unknown" when /proc is not readable. */
export async function backingFilesystem(files: FilesPort, path: string): Promise<string> {
  let text: string;
  try {
    text = new TextDecoder().decode(await files.readFile("/proc/self/mountinfo"));
  } catch {
    return "unknown";
  }
  const entry = mountContaining(parseMountInfo(text), path);
  if (!entry) return "unknown";
  return DOCKER_FS_NAMES[entry.fsType] ?? entry.fsType;
}
