// Containers through the command line, each command its own process: create, mount counting
// across processes, start-up reconciliation after a crash, inspect, ps, rm, and bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadedMultiRoot, wharf } from "./support/cli.ts";
import { dumpRoot } from "./support/tarexport-archive.ts";

const rt = await getRuntime();
const files = rt.files!;
const decoder = new TextDecoder();
const tmp = await files.makeTempDir("wharf-container-cli-");
const loadedRoot = (driver: string) => loadedMultiRoot(tmp, driver);

async function ok(args: string[]): Promise<string> {
  const r = await wharf(args);
  assert.is(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function isMountPoint(path: string): Promise<boolean> {
  const info = decoder.decode(await files.readFile("/proc/self/mountinfo"));
  return info.split("\n").some((line) => line.split(" ")[4] === path);
}

for (const driver of ["overlay2", "vfs"] as const) {
  test(`${driver}: mount twice, umount twice, across processes; inspect's paths; ps`, async () => {
    const root = await loadedRoot(driver);
    const w = (...args: string[]) => ok(["--root", root, "--driver", driver, ...args]);
    const id = (await w("create", "--name", "web", "wharf-test/multi:1", "sh", "-c", "sleep 1000")).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const path = (await w("mount", "web")).trim();
    assert.is((await w("mount", id.slice(0, 8))).trim(), path);
    const [inspected] = JSON.parse(await w("inspect", "web")) as Array<Record<string, any>>;
    assert.is(inspected!.Id, id);
    assert.is(inspected!.Name, "/web");
    assert.equal(inspected!.Mounts, []);
    if (driver === "overlay2") {
      const data = inspected!.GraphDriver.Data as Record<string, string>;
      assert.equal(Object.keys(data), ["LowerDir", "MergedDir", "UpperDir", "WorkDir"]);
      assert.is(data.MergedDir, path);
      assert.ok(await isMountPoint(path), "merged is mounted after the mounting process exited");
      const lowers = data.LowerDir!.split(":");
      assert.is(lowers.length, 5);
      assert.match(lowers[0]!, /-init\/diff$/);
      for (const dir of [...lowers, data.UpperDir!, data.WorkDir!]) assert.ok(await files.lstat(dir), dir);
    } else {
      assert.is(inspected!.GraphDriver.Data, null);
      assert.match(path, new RegExp(`^${root}/vfs/dir/[0-9a-f]{64}$`));
    }
    const ps = await w("ps", "-a", "-s");
    assert.match(ps, /^CONTAINER ID   IMAGE                COMMAND              CREATED\s+STATUS    PORTS     NAMES     SIZE\n/);
    // moby joins Path and Args with spaces; the CLI cuts at 20 characters with an ellipsis and quotes.
    assert.ok(ps.includes(`${id.slice(0, 12)}   wharf-test/multi:1   "sh -c sleep 1000"   `), ps);
    assert.match(ps, /Created\s+web\s+0B \(virtual 1\.98MB\)\n$/);
    const rm = await wharf(["--root", root, "--driver", driver, "rm", "web"]);
    assert.is(rm.code, 1);
    assert.match(rm.stderr, /^wharf: You cannot remove a mounted container [0-9a-f]{64}\. Unmount/);
    await w("umount", "web");
    if (driver === "overlay2") assert.ok(await isMountPoint(path), "one mount is still outstanding");
    await w("umount", "web");
    if (driver === "overlay2") assert.ok(!(await isMountPoint(path)), "the last umount unmounted");
    const third = await wharf(["--root", root, "--driver", driver, "umount", "web"]);
    assert.is(third.code, 1);
    assert.is(third.stderr, `wharf: container ${id} is not mounted\n`);
    assert.is(await w("rm", "web"), "web\n");
    assert.is(await w("ps", "-a", "-q"), "");
  });
}

test("overlay2: the states a kill leaves (mounted without a count; a count without a mount) are settled at the next start", async () => {
  const root = await loadedRoot("overlay2");
  const w = (...args: string[]) => ok(["--root", root, ...args]);
  const id = (await w("create", "wharf-test/multi:1")).trim();
  // Mounted, count never written: what a kill right after mount(2) leaves.
  let store = await openStore({ root, runtime: rt });
  const layer = store.layers.getRWLayer(id)! as { mountID: string };
  const merged = await store.driver.get(layer.mountID);
  store.driver.keepMounted!(layer.mountID);
  await store.close();
  assert.ok(await isMountPoint(merged));
  store = await openStore({ root, runtime: rt });
  assert.ok(!(await isMountPoint(merged)), "start-up unmounted the mount no count owned");
  assert.ok(store.warnings.some((m) => m.includes("unmounted a mount left by an interrupted command")), store.warnings.join("\n"));
  await store.close();
  // A count whose mount is gone: what a kill after umount(2) (or a reboot) leaves.
  await files.writeFile(`${root}/containers/${id}/wharf-mounts`, new TextEncoder().encode("2"));
  store = await openStore({ root, runtime: rt });
  assert.is(await store.layers.getRWLayer(id)!.mountCount(), 0);
  await store.close();
  // Nothing wedged: no merged dir is left, and rm needs no force.
  assert.ok(!(await dumpRoot(rt, root, "overlay2")).includes("/merged"), "no merged dir left behind");
  assert.is(await w("rm", id), `${id}\n`);
});

test("create: what follows IMAGE is the container's command, flags and --help included", async () => {
  const root = await loadedRoot("vfs");
  const w = (...args: string[]) => ok(["--root", root, ...args]);
  const id = (await w("create", "--name", "helpful", "wharf-test/multi:1", "sh", "-h", "-c", "true", "--help", "--root", "x")).trim();
  const [inspected] = JSON.parse(await w("inspect", id)) as Array<Record<string, any>>;
  assert.is(inspected!.Name, "/helpful");
  assert.equal(inspected!.Config.Cmd, ["sh", "-h", "-c", "true", "--help", "--root", "x"]);
  assert.is(await w("rm", id), `${id}\n`);
});

test("bad input: unknown ID, ambiguous prefix, bad name, overlay2 unavailable — one line, nothing changed", async () => {
  const root = await loadedRoot("overlay2");
  const a = (await ok(["--root", root, "create", "wharf-test/multi:1"])).trim();
  const b = (await ok(["--root", root, "create", "wharf-test/multi:1"])).trim();
  const before = await dumpRoot(rt, root, "overlay2");
  const fail = async (args: string[], stderr: string | RegExp) => {
    const r = await wharf(["--root", root, ...args]);
    assert.is(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
    if (typeof stderr === "string") assert.is(r.stderr, `wharf: ${stderr}\n`);
    else assert.match(r.stderr, stderr);
    assert.is(r.stderr.trim().split("\n").length, 1);
  };
  await fail(["mount", "nope"], "No such container: nope");
  await fail(["inspect", "nope"], "No such object: nope");
  await fail(["rm", "nope"], "No such container: nope");
  let common = 0;
  while (a[common] === b[common]) common++;
  if (common > 0) await fail(["mount", a.slice(0, common)], `multiple IDs found with provided prefix: ${a.slice(0, common)}`);
  await fail(["create", "--name", "-bad", "wharf-test/multi:1"], /^wharf: unknown flag|Invalid container name/);
  await fail(["create", "--name", "a!", "wharf-test/multi:1"], "Invalid container name (a!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  await fail(["create", "nothere:1"], "No such image: nothere:1");
  await ok(["--root", root, "create", "--name", "taken", "wharf-test/multi:1"]);
  const afterTaken = await dumpRoot(rt, root, "overlay2");
  await fail(["create", "--name", "taken", "wharf-test/multi:1"], /^wharf: Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\./);
  assert.fixture(await dumpRoot(rt, root, "overlay2"), afterTaken);
  assert.ok(before.length > 0);
  // overlay2 as an unprivileged user: the store cannot open; one line, exit 1, nothing written.
  const setpriv = await rt.processes!.run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
  if (setpriv.code === 0) {
    const cmd = rt.name === "deno" ? ["node_modules/.bin/deno", "run", "-A"] : rt.name === "bun" ? ["node_modules/.bin/bun"] : ["node_modules/.bin/tsx"];
    const r = await rt.processes!.run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ...cmd, "cli/main.ts", "--root", `${tmp}/unpriv`, "--driver", "overlay2", "mount", a], { env: { NO_COLOR: "1", HOME: "/tmp" } });
    assert.is(r.code, 1, decoder.decode(r.stdout));
    assert.is(decoder.decode(r.stderr).trim().split("\n").length, 1, decoder.decode(r.stderr));
    assert.match(decoder.decode(r.stderr), /^wharf: /);
  }
});

test.after(async () => {
  // A failed assertion can leave a container mounted: detach whatever is under tmp first.
  const mounted = decoder.decode(await files.readFile("/proc/self/mountinfo")).split("\n").map((l) => l.split(" ")[4] ?? "").filter((p) => p.startsWith(`${tmp}/`));
  for (const path of mounted) await rt.processes!.run("umount", ["-l", path]);
  await files.remove(tmp, { recursive: true });
});
test.run();
