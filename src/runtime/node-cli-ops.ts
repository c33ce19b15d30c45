/**
 * Device nodes and xattrs for Node, which has no API for either: coreutils `mknod` and
 * `setfattr`/`getfattr` from the `attr` package, run as subprocesses. Like the libc
 * adapters, xattr calls do not follow a final symlink (`-h`).
 */
import { WharfError } from "../errors.ts";
import type { ProcessesPort } from "../ports.ts";
import { errnoFromStrerror } from "./errno.ts";
import type { NativeFileOps } from "./node-files.ts";

const decoder = new TextDecoder();

export function cliFileOps(processes: ProcessesPort): NativeFileOps {
  async function run(cmd: string, args: string[], what: string): Promise<string> {
    const result = await processes.run(cmd, args, { env: { LC_ALL: "C" } });
    const stderr = decoder.decode(result.stderr);
    if (result.code !== 0) {
      const errno = errnoFromStrerror(stderr);
      throw new WharfError("IO", `${what}: ${stderr.trim() || `${cmd} exited with ${result.code}`}`, { errno });
    }
    return decoder.decode(result.stdout);
  }

  return {
    async mknod(path, kind, mode, major, minor) {
      const mode8 = (mode & 0o7777).toString(8);
      const typeArgs = kind === "fifo" ? ["p"] : [kind === "char" ? "c" : "b", String(major), String(minor)];
      await run("mknod", ["-m", mode8, "--", path, ...typeArgs], `mknod ${path}`);
    },
    async setxattr(path, name, value) {
      const valueArgs = value.length > 0 ? ["-v", `0x${hex(value)}`] : [];
      await run("setfattr", ["-h", "-n", name, ...valueArgs, "--", path], `setxattr ${name} on ${path}`);
    },
    async getxattr(path, name) {
      try {
        const out = await run("getfattr", ["-h", "--absolute-names", "-e", "hex", "-n", name, "--", path], `getxattr ${name} on ${path}`);
        // Output: "# file: <path>", then "<name>=0x<hex>".
        const line = out.split("\n").find((l) => l !== "" && !l.startsWith("# file: "));
        const value = line === undefined ? undefined : /=0x([0-9a-f]*)$/i.exec(line)?.[1];
        if (value === undefined) throw new WharfError("IO", `getxattr ${name} on ${path}: unexpected getfattr output`);
        return fromHex(value);
      } catch (e) {
        if (e instanceof WharfError && e.errno === "ENODATA") return null;
        throw e;
      }
    },
    /** One `getfattr -R` for a whole tree instead of a subprocess per file. */
    async xattrTree(dir, name) {
      const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
      const out = await run("getfattr", ["-R", "-h", "--absolute-names", "-d", "-e", "hex", "-m", pattern, "--", dir], `getxattr -R ${name} under ${dir}`);
      // Blocks of "# file: <path>" then "<name>=0x<hex>", separated by blank lines; paths `\ooo`-escaped.
      const found = new Map<string, Uint8Array>();
      let file: string | undefined;
      for (const line of out.split("\n")) {
        if (line.startsWith("# file: ")) file = unescapeOctal(line.slice("# file: ".length));
        else if (file !== undefined && line.startsWith(`${name}=0x`)) found.set(file, fromHex(line.slice(name.length + 3)));
      }
      return found;
    },
    async listxattr(path) {
      // `-m -` matches every namespace; names are printed one per line, `\ooo`-escaped.
      const out = await run("getfattr", ["-h", "--absolute-names", "-m", "-", "--", path], `listxattr ${path}`);
      return out.split("\n").filter((line) => line !== "" && !line.startsWith("# file: ")).map(unescapeOctal);
    },
  };
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function fromHex(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function unescapeOctal(name: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const m = name[i] === "\\" ? /^[0-7]{3}/.exec(name.slice(i + 1)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 8));
      i += 3;
    } else {
      bytes.push(...new TextEncoder().encode(name[i]));
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}
