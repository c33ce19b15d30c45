import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  parseDockerRef, parseNamed, parseNormalizedNamed, parseReference, tagNameOnly, withTag, withDigest,
} from "../src/reference/reference.ts";
import { isWharfError } from "../src/errors.ts";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isWharfError(e, "INVALID_REFERENCE"), `expected INVALID_REFERENCE, got ${String(e)}`);
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

// input → [full string, familiar string, domain, path]
const normalized: Array<[string, string, string, string, string]> = [
  ["busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox"],
  ["busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "docker.io", "library/busybox"],
  ["library/busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox"],
  ["docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", "docker.io", "library/busybox"],
  ["index.docker.io/u/app", "docker.io/u/app", "u/app", "docker.io", "u/app"],
  ["u/app:v1", "docker.io/u/app:v1", "u/app:v1", "docker.io", "u/app"],
  ["docker.io/library/a/b", "docker.io/library/a/b", "library/a/b", "docker.io", "library/a/b"],
  ["localhost/app", "localhost/app", "localhost/app", "localhost", "app"],
  ["localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000", "a/b"],
  ["Registry.Example.com/x", "Registry.Example.com/x", "Registry.Example.com/x", "Registry.Example.com", "x"],
  ["wharf-test/multi:1", "docker.io/wharf-test/multi:1", "wharf-test/multi:1", "docker.io", "wharf-test/multi"],
  ["u/a__b.c-d---e", "docker.io/u/a__b.c-d---e", "u/a__b.c-d---e", "docker.io", "u/a__b.c-d---e"],
  ["a.b/c", "a.b/c", "a.b/c", "a.b", "c"],
  [`x@${DIGEST}`, `docker.io/library/x@${DIGEST}`, `x@${DIGEST}`, "docker.io", "library/x"],
  [`x:t@${DIGEST}`, `docker.io/library/x:t@${DIGEST}`, `x:t@${DIGEST}`, "docker.io", "library/x"],
];

test("ParseNormalizedNamed: full and familiar forms", () => {
  for (const [input, full, familiar, domain, path] of normalized) {
    const ref = parseNormalizedNamed(input);
    assert.is(ref.toString(), full, input);
    assert.is(ref.familiarString(), familiar, input);
    assert.is(ref.domain, domain, input);
    assert.is(ref.path, path, input);
  }
});

const invalid: Array<[string, string]> = [
  ["", "invalid reference format"], // normalization makes "docker.io/library/" which does not match
  ["Busybox", "invalid reference format: repository name must be lowercase"],
  ["u/Busybox:tag", "invalid reference format: repository name must be lowercase"],
  ["busybox:", "invalid reference format"],
  ["busybox:-tag", "invalid reference format"],
  [`busybox:${"t".repeat(129)}`, "invalid reference format"],
  ["a/../b", "invalid reference format"],
  ["-abc", "invalid reference format"],
  ["abc-", "invalid reference format"],
  ["a b", "invalid reference format"],
  ["x@sha256:abc", "invalid reference format"], // fewer than 32 hex digits
  [`x@sha256:${HEX.slice(0, 40)}`, "invalid checksum digest length"],
  [`x@md5:${HEX.slice(0, 32)}`, "unsupported digest algorithm"],
  [`x@sha256:${HEX.toUpperCase()}`, "invalid checksum digest format"],
  [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
  [`example.com/${"a".repeat(244)}`, "repository name must not be more than 255 characters"],
];

test("ParseNormalizedNamed: Docker's error messages", () => {
  for (const [input, message] of invalid) assert.is(errorOf(() => parseNormalizedNamed(input)), message, input);
  // the 255 limit counts domain and path: exactly 255 is fine
  assert.is(parseNormalizedNamed(`example.com/${"a".repeat(243)}`).name.length, 255);
});

test("Parse without normalization: empty name and uppercase", () => {
  assert.is(errorOf(() => parseReference("")), "repository name must have at least one component");
  assert.is(errorOf(() => parseReference("Foo")), "invalid reference format: repository name must be lowercase");
  const r = parseReference("busybox:1");
  assert.is(r.domain, "");
  assert.is(r.path, "busybox");
  assert.is(r.tag, "1");
});

test("ParseNamed requires the canonical form", () => {
  assert.is(parseNamed("docker.io/library/x:1").familiarString(), "x:1");
  assert.is(errorOf(() => parseNamed("x:1")), "repository name must be canonical");
});

test("ParseDockerRef: latest by default, name:tag@digest keeps the digest", () => {
  assert.is(parseDockerRef("busybox").toString(), "docker.io/library/busybox:latest");
  assert.is(parseDockerRef("busybox:1").toString(), "docker.io/library/busybox:1");
  assert.is(parseDockerRef(`busybox:1@${DIGEST}`).toString(), `docker.io/library/busybox@${DIGEST}`);
  assert.is(parseDockerRef(`busybox@${DIGEST}`).familiarString(), `busybox@${DIGEST}`);
});

test("TagNameOnly, WithTag, WithDigest", () => {
  assert.is(tagNameOnly(parseNormalizedNamed("u/x")).familiarString(), "u/x:latest");
  assert.is(tagNameOnly(parseNormalizedNamed(`u/x@${DIGEST}`)).familiarString(), `u/x@${DIGEST}`);
  assert.is(withTag(parseNormalizedNamed("x:1"), "2").familiarString(), "x:2");
  assert.is(errorOf(() => withTag(parseNormalizedNamed("x"), ".bad")), "invalid tag format");
  assert.is(withDigest(parseNormalizedNamed("x"), DIGEST).toString(), `docker.io/library/x@${DIGEST}`);
});

test.run();
