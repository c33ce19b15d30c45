/**
 * Docker's image reference grammar (distribution/reference as vendored by Docker 20.10):
 * `[domain[:port]/]path[:tag][@digest]`, normalized to `docker.io/library/…`, with its exact
 * error messages. Familiar forms drop `docker.io/` and `library/` again for display and for
 * `repositories.json`.
 */
import { WharfError } from "../errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";
export const DEFAULT_TAG = "latest";
/** Longest repository name (domain and path) Docker accepts. */
export const NAME_TOTAL_LENGTH_MAX = 255;

// The pieces of distribution/reference regexp.go, in the same order.
const alphaNumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]*)";
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;

const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${domain})/)?(${pathComponent}(?:/${pathComponent})*)$`);
const ANCHORED_TAG = new RegExp(`^${tag}$`);
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;
/** go-digest: algorithms it can verify, with their hex lengths. */
const DIGEST_ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export const ErrReferenceInvalidFormat = "invalid reference format";
export const ErrTagInvalidFormat = "invalid tag format";
export const ErrNameContainsUppercase = "invalid reference format: repository name must be lowercase";
export const ErrNameEmpty = "repository name must have at least one component";
export const ErrNameTooLong = `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
export const ErrNameNotCanonical = "repository name must be canonical";

function invalid(message: string): WharfError {
  return new WharfError("INVALID_REFERENCE", message);
}

/**
 * A parsed reference. `domain` is empty only for references from `parseReference` of a name
 * without one; everything from the normalizing parsers carries a domain.
 */
export class Reference {
  constructor(
    readonly domain: string,
    readonly path: string,
    readonly tag: string | undefined,
    /** `algorithm:hex`, validated. */
    readonly digest: string | undefined,
  ) {}

  /** The repository name: `domain/path` (Go's `Name()`). */
  get name(): string {
    return this.domain === "" ? this.path : `${this.domain}/${this.path}`;
  }

  /** The full form: `name[:tag][@digest]`. */
  toString(): string {
    return this.name + (this.tag !== undefined ? `:${this.tag}` : "") + (this.digest !== undefined ? `@${this.digest}` : "");
  }

  /** The name as Docker shows it: `docker.io/library/x` → `x`, `docker.io/u/x` → `u/x`. */
  familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name;
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const rest = this.path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!rest.includes("/")) return rest;
    }
    return this.path;
  }

  /** `familiarName[:tag][@digest]`. */
  familiarString(): string {
    return this.familiarName() + (this.tag !== undefined ? `:${this.tag}` : "") + (this.digest !== undefined ? `@${this.digest}` : "");
  }

  isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }
}

/** go-digest `Parse`: `algorithm:hex` for an algorithm it knows, hex of the right length. */
function validateDigest(value: string): string {
  const colon = value.indexOf(":");
  if (colon <= 0 || colon + 1 === value.length) throw invalid("invalid checksum digest format");
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  const length = DIGEST_ALGORITHMS[algorithm];
  if (length === undefined) throw invalid(new RegExp(`^${digest}$`).test(value) ? "unsupported digest algorithm" : "invalid checksum digest format");
  if (hex.length !== length) throw invalid("invalid checksum digest length");
  if (!/^[a-f0-9]+$/.test(hex)) throw invalid("invalid checksum digest format");
  return value;
}

/** distribution/reference `Parse`: no normalization; the name's domain is whatever is there. */
export function parseReference(s: string): Reference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === "") throw invalid(ErrNameEmpty);
    if (REFERENCE.test(s.toLowerCase())) throw invalid(ErrNameContainsUppercase);
    throw invalid(ErrReferenceInvalidFormat);
  }
  const fullName = m[1]!;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) throw invalid(ErrNameTooLong);
  const nameMatch = ANCHORED_NAME.exec(fullName);
  const domainPart = nameMatch?.[1] ?? "";
  const pathPart = nameMatch ? nameMatch[2]! : fullName;
  const digestPart = m[3] !== undefined && m[3] !== "" ? validateDigest(m[3]) : undefined;
  const tagPart = m[2] !== undefined && m[2] !== "" ? m[2] : undefined;
  return new Reference(domainPart, pathPart, tagPart, digestPart);
}

/** Splits off the registry: the first component is a domain only with `.`, `:` or `localhost`. */
function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const slash = s.indexOf("/");
  let dom: string;
  let remainder: string;
  if (slash === -1 || (!/[.:]/.test(s.slice(0, slash)) && s.slice(0, slash) !== "localhost")) {
    dom = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    dom = s.slice(0, slash);
    remainder = s.slice(slash + 1);
  }
  if (dom === LEGACY_DEFAULT_DOMAIN) dom = DEFAULT_DOMAIN;
  if (dom === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain: dom, remainder };
}

/** `ParseNormalizedNamed`: a name as users type it (`busybox`, `u/x:1`) in its full form. */
export function parseNormalizedNamed(s: string): Reference {
  if (ANCHORED_IDENTIFIER.test(s)) throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain: dom, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(":");
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) throw invalid(ErrNameContainsUppercase);
  return parseReference(`${dom}/${remainder}`);
}

/** `ParseNamed`: like `parseNormalizedNamed`, but the input must already be in full form. */
export function parseNamed(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.toString() !== s) throw invalid(ErrNameNotCanonical);
  return ref;
}

/** `TagNameOnly`: a bare name gets the tag `latest`; tagged or digested references are kept. */
export function tagNameOnly(ref: Reference): Reference {
  return ref.isNameOnly() ? new Reference(ref.domain, ref.path, DEFAULT_TAG, undefined) : ref;
}

/** `ParseDockerRef`: normalized, `latest` by default, and `name:tag@digest` reduced to the digest. */
export function parseDockerRef(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag !== undefined && ref.digest !== undefined) return new Reference(ref.domain, ref.path, undefined, ref.digest);
  return tagNameOnly(ref);
}

/** `WithTag`: the repository of `ref` with `tagName` (any digest dropped). */
export function withTag(ref: Reference, tagName: string): Reference {
  if (!ANCHORED_TAG.test(tagName)) throw invalid(ErrTagInvalidFormat);
  return new Reference(ref.domain, ref.path, tagName, undefined);
}

/** `WithDigest`: the repository of `ref` (and its tag) with `digestValue`. */
export function withDigest(ref: Reference, digestValue: string): Reference {
  return new Reference(ref.domain, ref.path, ref.tag, validateDigest(digestValue));
}

/** Whether `s` is a full 64-hex image ID (what `ParseNormalizedNamed` refuses as a name). */
export function isFullIdentifier(s: string): boolean {
  return ANCHORED_IDENTIFIER.test(s);
}
