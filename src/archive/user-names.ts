/**
 * uid/gid → names for tar headers, as Go's os/user does without cgo: read from /etc/passwd and
 * /etc/group once. An id without an entry (or no readable file) gets an empty name, as in Go.
 */
import type { FilesPort } from "../ports.ts";

async function readIdFile(files: FilesPort, path: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = new TextDecoder().decode(await files.readFile(path));
  } catch {
    return names;
  }
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const fields = line.split(":");
    if (fields.length < 3) continue;
    const id = Number(fields[2]);
    // The first line for an id wins, as a scan of the file finds it.
    if (Number.isInteger(id) && !names.has(id)) names.set(id, fields[0]!);
  }
  return names;
}

export class UserNames {
  private users: Promise<Map<number, string>> | undefined;
  private groups: Promise<Map<number, string>> | undefined;

  constructor(private readonly files: FilesPort) {}

  async user(uid: number): Promise<string> {
    this.users ??= readIdFile(this.files, "/etc/passwd");
    return (await this.users).get(uid) ?? "";
  }

  async group(gid: number): Promise<string> {
    this.groups ??= readIdFile(this.files, "/etc/group");
    return (await this.groups).get(gid) ?? "";
  }
}
