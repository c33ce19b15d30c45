/**
 * One registry, reached with `fetch` only (so the same client runs in Deno, Bun, Node, edge
 * runtimes and browsers). `connect` pings `/v2/` once: the answer picks the scheme (https; plain
 * http only for loopback hosts and those named insecure, after https failed) and the auth
 * challenge; every request after that carries the header its scopes need, and a 401 with a bearer
 * challenge gets one retry with a fresh token.
 */
import type { FetchGet } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { Authorizer, parseChallenges, type Challenge, type RegistryCredentials } from "./auth.ts";
import { networkError, registryError } from "./errors.ts";

export const DOCKER_HUB_DOMAIN = "docker.io";
const DOCKER_HUB_HOST = "registry-1.docker.io";

export interface ConnectOptions {
  credentials?: RegistryCredentials;
  /** Hosts (`host[:port]`) plain http is allowed for, besides loopback. */
  insecureRegistries?: readonly string[];
  nowMs: () => number;
  /** The runtime's faster GET (Runtime.fetchGet), for requests without a body. */
  fetchGet?: FetchGet;
}

export interface RequestOptions {
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
  /** Statuses returned to the caller as they are; any other non-2xx becomes a RegistryError. */
  accept?: readonly number[];
  /** What was asked, for the error (`manifest for x:1`). */
  what: string;
}

/** The host a reference's domain is served from (Docker Hub's API lives elsewhere than its name). */
export function registryHost(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_HOST : domain;
}

/** Loopback hosts (localhost, 127.0.0.0/8, ::1) and those the user named may use plain http. */
export function allowsPlainHTTP(host: string, insecure: readonly string[] = []): boolean {
  if (insecure.includes(host)) return true;
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

export class RegistryClient {
  private constructor(
    /** `host[:port]` as the user named it (`docker.io` for the Hub). */
    readonly domain: string,
    /** `https://host` or `http://host`. */
    readonly base: string,
    private readonly authorizer: Authorizer,
    private readonly fetchGet: FetchGet | undefined,
  ) {}

  static async connect(domain: string, options: ConnectOptions): Promise<RegistryClient> {
    const host = registryHost(domain);
    const plainAllowed = allowsPlainHTTP(host, options.insecureRegistries) || allowsPlainHTTP(domain, options.insecureRegistries);
    let base = `https://${host}`;
    let response: Response;
    try {
      response = await fetch(`${base}/v2/`);
    } catch (e) {
      if (!plainAllowed) throw networkError(`${base}/v2/`, e);
      base = `http://${host}`;
      try {
        response = await fetch(`${base}/v2/`);
      } catch (e2) {
        throw networkError(`${base}/v2/`, e2);
      }
    }
    await response.body?.cancel();
    let challenge: Challenge | undefined;
    if (response.status === 401) {
      const challenges = parseChallenges(response.headers.get("www-authenticate"));
      challenge = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
      if (!challenge) throw new WharfError("REGISTRY", `${domain}: the registry asks for authentication wharf does not support (${response.headers.get("www-authenticate") ?? "no challenge"})`);
    } else if (!response.ok) {
      throw new WharfError("REGISTRY", `${domain}: ${base}/v2/ answered ${response.status}; is this a registry (OCI distribution API)?`);
    }
    return new RegistryClient(domain, base, new Authorizer(domain, challenge, options.credentials, options.nowMs), options.fetchGet);
  }

  /** Basic or bearer, as the registry asked at connect; undefined for an open registry. */
  get authScheme(): "basic" | "bearer" | undefined {
    return this.authorizer.scheme;
  }

  /** Proves the credentials (login): a basic-auth `/v2/` or a token for no scope; returns a refresh token when one is given. */
  async verifyCredentials(): Promise<{ identityToken?: string }> {
    if (this.authorizer.scheme === "bearer") {
      const token = await this.authorizer.fetchToken([], true);
      return { identityToken: token.refreshToken };
    }
    const response = await this.request("GET", "/v2/", { scopes: [], what: this.domain });
    await response.body?.cancel();
    return {};
  }

  /** An absolute URL for a `Location` the registry returned (relative or absolute). */
  resolve(location: string): string {
    return new URL(location, `${this.base}/`).toString();
  }

  async request(method: string, pathOrURL: string, options: RequestOptions): Promise<Response> {
    const url = pathOrURL.startsWith("/") ? `${this.base}${pathOrURL}` : pathOrURL;
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = { ...options.headers };
      const authorization = await this.authorizer.header(options.scopes);
      if (authorization) headers.Authorization = authorization;
      try {
        if (method === "GET" && options.body === undefined && this.fetchGet) return await this.fetchGet(url, { headers });
        return await fetch(url, { method, headers, body: options.body, redirect: "follow" });
      } catch (e) {
        throw networkError(url, e);
      }
    };
    let response = await send();
    if (response.status === 401 && this.authorizer.scheme === "bearer") {
      await response.body?.cancel();
      this.authorizer.forget(options.scopes);
      response = await send();
    }
    if (response.ok || options.accept?.includes(response.status)) return response;
    throw await registryError(response, options.what);
  }
}
