/**
 * MountsPort for Node, which cannot call mount(2): util-linux `mount`/`umount` subprocesses.
 * Failures carry the errno name read back from the tool's message (see `mount-cli.ts`).
 */
import { WharfError } from "../errors.ts";
import type { MountsPort, ProcessesPort } from "../ports.ts";
import { errnoFromMountMessage, mountArgs, umountArgs } from "./mount-cli.ts";

const decoder = new TextDecoder();

export function cliMounts(processes: ProcessesPort): MountsPort {
  async function run(cmd: string, args: string[], what: string, cwd?: string): Promise<void> {
    // LC_ALL=C: the message is parsed, so it must be util-linux's English text.
    const result = await processes.run(cmd, args, { env: { LC_ALL: "C" }, ...(cwd === undefined ? {} : { cwd }) });
    if (result.code === 0) return;
    const message = decoder.decode(result.stderr).trim();
    const errno = errnoFromMountMessage(message);
    throw new WharfError("MOUNT", `${what}: ${errno}: ${message.split("\n")[0]}`, { errno });
  }
  return {
    mount: (source, target, fstype, flags, data, options) =>
      run("mount", mountArgs(source, target, fstype, flags, data), `mount ${fstype} on ${target}`, options?.cwd),
    unmount: (target, flags = 0) => run("umount", umountArgs(target, flags), `umount ${target}`),
  };
}
