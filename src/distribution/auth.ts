/**
 * Registry authentication (distribution's `registry/client/auth`): the `WWW-Authenticate`
 * challenge a registry answers `/v2/` with decides the scheme. Basic sends the credentials on
 * every request; Bearer trades them (or nothing, anonymously) for a token from the challenge's
 * realm, one token per scope set, reused until it expires. An identity token (what `login`
 * stores when the token server hands out a refresh token) is traded by the OAuth2 form post.
 */
import { WharfError } from "../errors.ts";
import { networkError, registryError } from "./errors.ts";

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json); preferred over a password. */
  identityToken?: string;
}

export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges may share the header). */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  const token = /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?/y;
  let current: Challenge | undefined;
  let at = 0;
  while (at < header.length) {
    token.lastIndex = at;
    const m = token.exec(header);
    if (!m || m[0].length === 0) break;
    at = token.lastIndex;
    const [, name, rawValue] = m;
    if (rawValue === undefined) {
      const scheme = name!.toLowerCase();
      current = scheme === "basic" || scheme === "bearer" ? { scheme, params: {} } : undefined;
      if (current) challenges.push(current);
      continue;
    }
    const value = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, "$1") : rawValue;
    if (current) current.params[name!.toLowerCase()] = value;
  }
  return challenges;
}

const CLIENT_ID = "wharf";
/** Tokens without `expires_in` live 60 s (the token spec's minimum); renew a little early. */
const DEFAULT_TOKEN_SECONDS = 60;
const RENEW_EARLY_MS = 5_000;

export interface TokenResponse {
  token: string;
  refreshToken?: string;
  expiresInSeconds: number;
}

export class Authorizer {
  /** One token request per scope set at a time: concurrent layer requests share it. */
  private readonly tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(
    private readonly host: string,
    private readonly challenge: Challenge | undefined,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly nowMs: () => number,
  ) {}

  get scheme(): Challenge["scheme"] | undefined {
    return this.challenge?.scheme;
  }

  /** The `Authorization` header for a request needing `scopes`, or undefined when none applies. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === "basic") {
      const { username, password } = this.credentials ?? {};
      if (username === undefined || password === undefined) return undefined;
      return `Basic ${base64Utf8(`${username}:${password}`)}`;
    }
    const key = [...scopes].sort().join(" ");
    let entry = this.tokens.get(key);
    if (entry) {
      const held = await entry.catch(() => undefined);
      if (held && held.expiresAt > this.nowMs()) return `Bearer ${held.token}`;
      if (this.tokens.get(key) === entry) this.tokens.delete(key);
    }
    entry = this.tokens.get(key);
    if (!entry) {
      entry = this.fetchToken(scopes, false).then((r) => ({ token: r.token, expiresAt: this.nowMs() + r.expiresInSeconds * 1000 - RENEW_EARLY_MS }));
      this.tokens.set(key, entry);
      entry.catch(() => this.tokens.get(key) === entry && this.tokens.delete(key));
    }
    return `Bearer ${(await entry).token}`;
  }

  /** Forgets the token for `scopes` (the registry refused it: a new one is asked for once). */
  forget(scopes: readonly string[]): void {
    this.tokens.delete([...scopes].sort().join(" "));
  }

  /**
   * A token from the challenge's realm. `offline` asks for a refresh token as well (login), as
   * Docker does with `offline_token=true`.
   */
  async fetchToken(scopes: readonly string[], offline: boolean): Promise<TokenResponse> {
    const params = this.challenge?.params ?? {};
    const realm = params.realm;
    if (!realm) throw new WharfError("REGISTRY", `${this.host}: bearer challenge without a realm`);
    const realmURL = new URL(realm);
    let response: Response;
    try {
      if (this.credentials?.identityToken) {
        const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: this.credentials.identityToken, client_id: CLIENT_ID });
        if (params.service) form.set("service", params.service);
        if (scopes.length) form.set("scope", scopes.join(" "));
        response = await fetch(realmURL, { method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
      } else {
        if (params.service) realmURL.searchParams.set("service", params.service);
        for (const scope of scopes) realmURL.searchParams.append("scope", scope);
        const headers: Record<string, string> = {};
        const { username, password } = this.credentials ?? {};
        if (username !== undefined && password !== undefined) {
          headers.Authorization = `Basic ${base64Utf8(`${username}:${password}`)}`;
          realmURL.searchParams.set("account", username);
          if (offline) {
            realmURL.searchParams.set("offline_token", "true");
            realmURL.searchParams.set("client_id", CLIENT_ID);
          }
        }
        response = await fetch(realmURL, { headers });
      }
    } catch (e) {
      throw networkError(realmURL.origin + realmURL.pathname, e);
    }
    if (!response.ok) throw await registryError(response, `${this.host}: token from ${realmURL.origin}${realmURL.pathname}`);
    const body = (await response.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
    const token = typeof body.access_token === "string" && body.access_token ? body.access_token : body.token;
    if (typeof token !== "string" || token === "") throw new WharfError("REGISTRY", `${this.host}: the token server at ${realmURL.origin} sent no token`);
    const expires = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, refreshToken: typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : undefined, expiresInSeconds: expires };
  }
}

export function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function decodeBase64Utf8(text: string): string {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
