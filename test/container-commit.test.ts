// docker commit's config: -c instructions as Dockerfile 20.10 applies them, merge, and Go's JSON
// byte for byte (checked against the config a real Docker wrote in multi.tar).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyCommitChanges } from "../src/container/commit-changes.ts";
import { childImageConfig, containerConfigJSON, historyJSON, mergeConfig } from "../src/container/commit-config.ts";
import { processWord, envMap, splitDockerfileWords } from "../src/container/shell-words.ts";
import type { ContainerConfig } from "../src/container/container.ts";
import { parseImageConfig } from "../src/image/config.ts";
import { EMPTY_LAYER_DIFF_ID } from "../src/layer/layer.ts";
import { readFixture } from "./support/fixtures.ts";
import { readMembers } from "./support/tarexport-archive.ts";

const decoder = new TextDecoder();
const members = await readMembers(await readFixture("docker-save/multi.tar"));
const rawConfig = members.find((m) => String(m.header.name).endsWith(".json") && m.header.name !== "manifest.json")!.body;
const configText = decoder.decode(rawConfig);
const dockerConfig = parseImageConfig(rawConfig, "multi config");
const base: ContainerConfig = { Env: ["PATH=/bin", "FOO=bar"], Cmd: ["/bin/sh"], Labels: { a: "1" }, WorkingDir: "/app" };

test("container.Config and History serialize as Docker's Go structs did in multi.tar", () => {
  assert.ok(configText.includes(`"config":${containerConfigJSON(dockerConfig.config as ContainerConfig)},`));
  assert.ok(configText.includes(`"container_config":${containerConfigJSON(dockerConfig.container_config as ContainerConfig)},`));
  assert.ok(configText.includes(`"history":[${dockerConfig.history!.map(historyJSON).join(",")}]`));
});

test("the child config: sorted top-level keys, diffID appended, history entry from the container's Cmd", () => {
  const diffID = `sha256:${"a".repeat(64)}` as const;
  const { raw, emptyLayer } = childImageConfig({
    parent: dockerConfig, containerID: "c".repeat(64), containerConfig: { Cmd: ["/bin/sh", "-c", "echo <hi>"] }, config: { Cmd: ["x"] },
    diffID, author: "me", comment: "msg", created: "2024-01-02T03:04:05.5Z", dockerVersion: "0.1.0", os: "linux",
  });
  assert.not.ok(emptyLayer);
  const text = decoder.decode(raw);
  const parsed = JSON.parse(text);
  assert.equal(Object.keys(parsed), [...Object.keys(parsed)].sort());
  assert.equal(parsed.rootfs.diff_ids, [...dockerConfig.rootfs.diff_ids, diffID]);
  assert.ok(text.endsWith(`{"created":"2024-01-02T03:04:05.5Z","author":"me","created_by":"/bin/sh -c echo \\u003chi\\u003e","comment":"msg"}],"os":"linux","rootfs":{"type":"layers","diff_ids":[${dockerConfig.rootfs.diff_ids.map((d) => `"${d}"`).join(",")},"${diffID}"]}}`));
  assert.is(parsed.created, "2024-01-02T03:04:05.5Z");
  assert.is(parsed.container, "c".repeat(64));
  assert.is(parsed.architecture, "amd64");
  assert.not.ok("comment" in parsed);
});

test("the empty layer: empty_layer in history, no diffID added", () => {
  const { raw, emptyLayer } = childImageConfig({
    parent: dockerConfig, containerID: "c".repeat(64), containerConfig: {}, config: {}, diffID: EMPTY_LAYER_DIFF_ID,
    created: "2024-01-02T03:04:05Z", dockerVersion: "0.1.0", os: "linux",
  });
  const parsed = JSON.parse(decoder.decode(raw));
  assert.ok(emptyLayer);
  assert.equal(parsed.rootfs.diff_ids, dockerConfig.rootfs.diff_ids);
  assert.equal(parsed.history.at(-1), { created: "2024-01-02T03:04:05Z", empty_layer: true });
});

test("ENV: name=value pairs with quotes and expansion, legacy `ENV k v`, replacing existing keys", () => {
  const c = applyCommitChanges(base, ['ENV A=1 B="two words" C=$FOO-${A:-x}', "env FOO new value"]);
  assert.equal(c.Env, ["PATH=/bin", "FOO=new value", "A=1", "B=two words", "C=bar-x"]);
  assert.equal(base.Env, ["PATH=/bin", "FOO=bar"], "the container's config is left as it was");
});

test("LABEL, EXPOSE, USER, WORKDIR, VOLUME, ONBUILD", () => {
  const c = applyCommitChanges(base, [
    'LABEL "com.x"="y z" b=2', "EXPOSE 80 53/udp 8000-8001", "USER app:app", "WORKDIR sub/../dir", "VOLUME /data /logs", "ONBUILD RUN make",
  ]);
  assert.equal(c.Labels, { a: "1", "com.x": "y z", b: "2" });
  assert.equal(Object.keys(c.ExposedPorts!).sort(), ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
  assert.is(c.User, "app:app");
  assert.is(c.WorkingDir, "/app/dir");
  assert.equal(c.Volumes, { "/data": {}, "/logs": {} });
  assert.equal(c.OnBuild, ["RUN make"]);
});

test("CMD and ENTRYPOINT: JSON and shell forms; ENTRYPOINT clears a CMD not set by the changes", () => {
  assert.equal(applyCommitChanges(base, ['CMD ["echo", "hi"]']).Cmd, ["echo", "hi"]);
  assert.equal(applyCommitChanges(base, ["CMD echo $HOME"]).Cmd, ["/bin/sh", "-c", "echo $HOME"]);
  const e = applyCommitChanges(base, ["ENTRYPOINT /run.sh"]);
  assert.equal(e.Entrypoint, ["/bin/sh", "-c", "/run.sh"]);
  assert.is(e.Cmd, null);
  const both = applyCommitChanges(base, ['CMD ["a"]', 'ENTRYPOINT ["b"]']);
  assert.equal([both.Entrypoint, both.Cmd], [["b"], ["a"]]);
});

test("refused changes: Docker's messages, nothing applied", () => {
  const cases: Array<[string, string]> = [
    ["RUN make", "run is not a valid change command"],
    ["FROM x", "from is not a valid change command"],
    ["EXPOSE 80/xyz", "Invalid proto: xyz"],
    ["EXPOSE http", "Invalid containerPort: http"],
    ["ENV A", "ENV must have two arguments"],
    ["LABEL a=1 b", `Syntax error - can't find = in "b". Must be of the form: name=value`],
    ['CMD ["a", 1]', "when using JSON array syntax, arrays must be comprised of strings only"],
  ];
  for (const [change, message] of cases) assert.throws(() => applyCommitChanges(base, ["ENV OK=1", change]), (e: Error) => e.message === message, change);
});

test("merge: what the changed config lacks comes from the container's", () => {
  const merged = mergeConfig({ Env: ["A=1"], Labels: null, Cmd: null, Entrypoint: null }, { ...base, User: "u", ExposedPorts: { "80/tcp": {} } });
  assert.equal(merged.Env, ["A=1", "PATH=/bin", "FOO=bar"]);
  assert.equal(merged.Labels, { a: "1" });
  assert.equal(merged.Cmd, ["/bin/sh"]);
  assert.is(merged.User, "u");
  assert.is(merged.WorkingDir, "/app");
  assert.equal(merged.ExposedPorts, { "80/tcp": {} });
  assert.is(containerConfigJSON(mergeConfig({}, {})).includes(`"Labels":{}`), true, "Labels is never null after merge");
});

test("Dockerfile words: quotes kept for the word processor, which removes them", () => {
  assert.equal(splitDockerfileWords(`a="b c" d='e f' g\\ h`), [`a="b c"`, `d='e f'`, `g\\ h`]);
  const env = envMap(["X=1"]);
  assert.is(processWord(`"$X" '$X' \\$X \${X:+set} \${Y:-unset}`, env), "1 $X $X set unset");
});

test.run();
