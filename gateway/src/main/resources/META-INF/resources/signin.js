// Sign-in through the gateway's OIDC provider (Keycloak) for the web page: OAuth 2.0 authorization
// code flow with PKCE (RFC 7636, S256) for a public client, no secret. The page never verifies a
// token: it only reads claims to show who is signed in; the gateway verifies every call.
//
// Tokens live in sessionStorage only (gone when the tab closes, not shared with other tabs), under
// the key app.js already uses for the access token, so the rest of the page needs no change.

export const TOKEN_KEY = "framecast.token";
const REFRESH_KEY = "framecast.refreshToken";
const ID_TOKEN_KEY = "framecast.idToken";
// The pending authorization request: state, code verifier and redirect URI, until the redirect back.
const PENDING_KEY = "framecast.signIn";

// Refresh this long before the access token expires (Keycloak's default lifespan: 5 minutes).
const REFRESH_AHEAD_MS = 30_000;

let refreshTimer = null;
let refreshing = null;

/** A sign-in failure worth showing as it is (denied login, CORS, a forged redirect). */
export class SignInError extends Error {}

function endpoint(config, name) {
  return `${config.issuer.replace(/\/+$/, "")}/protocol/openid-connect/${name}`;
}

// The page's own URL without query or fragment: what Keycloak redirects back to.
function pageUrl() {
  return location.origin + location.pathname;
}

function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The payload of a JWT, for display only; {} when it is not one. */
export function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) || {};
  } catch {
    return {};
  }
}

export function accessToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function hasRefreshToken() {
  return Boolean(sessionStorage.getItem(REFRESH_KEY));
}

function storeTokens(response) {
  sessionStorage.setItem(TOKEN_KEY, response.access_token);
  if (response.refresh_token) sessionStorage.setItem(REFRESH_KEY, response.refresh_token);
  if (response.id_token) sessionStorage.setItem(ID_TOKEN_KEY, response.id_token);
}

/** Forgets every token of this tab (the provider's session stays: see signOut). */
export function forgetTokens() {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  for (const key of [TOKEN_KEY, REFRESH_KEY, ID_TOKEN_KEY]) sessionStorage.removeItem(key);
}

/**
 * Goes to the provider's login page. Resolves never (the page navigates away); rejects when this
 * browser context cannot do PKCE.
 */
export async function beginSignIn(config) {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new SignInError(
      `Signing in needs a secure context (https, or http://localhost or http://127.0.0.1): ` +
        `${location.origin} is not one, so the browser offers no crypto.subtle for PKCE.`,
    );
  }
  const verifier = randomString(32); // 43 characters, within RFC 7636's 43..128
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const pending = { state: randomString(16), verifier, redirectUri: pageUrl(), issuer: config.issuer };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const params = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: pending.redirectUri,
    response_type: "code",
    scope: "openid",
    state: pending.state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: "S256",
  });
  location.assign(`${endpoint(config, "auth")}?${params}`);
  return new Promise(() => {});
}

/**
 * Completes a sign-in when the page was opened by the provider's redirect (?code&state or
 * ?error&state): checks the state, exchanges the code and strips the parameters from the URL.
 * Returns true when it signed in, false when this was no redirect; throws SignInError otherwise.
 */
export async function completeSignIn(config) {
  const query = new URLSearchParams(location.search);
  if (!query.has("state") || !(query.has("code") || query.has("error"))) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  sessionStorage.removeItem(PENDING_KEY);
  // Whatever happens next, the code must not stay in the address bar or the history.
  const url = new URL(location.href);
  for (const name of ["code", "state", "session_state", "iss", "error", "error_description", "error_uri"]) {
    url.searchParams.delete(name);
  }
  history.replaceState(history.state, "", url);
  if (!pending || pending.state !== query.get("state")) {
    throw new SignInError(
      "The sign-in response does not belong to a sign-in started in this tab (state mismatch); " +
        "it was ignored. Sign in again.",
    );
  }
  if (query.has("error")) {
    const why = query.get("error_description") || query.get("error");
    throw new SignInError(`The sign-in was refused: ${why}.`);
  }
  // RFC 9207: a provider that names itself must be the one the request went to (mix-up defence).
  if (query.has("iss") && query.get("iss") !== pending.issuer) {
    throw new SignInError(`The sign-in response came from ${query.get("iss")}, not ${pending.issuer}.`);
  }
  const tokens = await tokenRequest(config, {
    grant_type: "authorization_code",
    code: query.get("code"),
    redirect_uri: pending.redirectUri,
    code_verifier: pending.verifier,
  });
  storeTokens(tokens);
  scheduleRefresh(config);
  return true;
}

/**
 * A new access token from the refresh token; shared by concurrent callers. Resolves true when
 * refreshed; false when there is no refresh token or the provider refused it (the session ended),
 * in which case the tokens are forgotten.
 */
export function refresh(config) {
  if (!refreshing) {
    refreshing = doRefresh(config).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function doRefresh(config) {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken || !config || !config.issuer) return false;
  try {
    storeTokens(
      await tokenRequest(config, { grant_type: "refresh_token", refresh_token: refreshToken }),
    );
  } catch (error) {
    if (error instanceof SignInError && error.status >= 400 && error.status < 500) {
      forgetTokens(); // invalid_grant: the provider's session is over
      return false;
    }
    throw error; // unreachable provider: keep the tokens, a later try may work
  }
  scheduleRefresh(config);
  return true;
}

/** Refreshes shortly before the access token expires, while the tab is open. */
export function scheduleRefresh(config) {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  const exp = Number(claimsOf(accessToken()).exp || 0);
  if (!exp || !hasRefreshToken()) return;
  const delay = Math.max(exp * 1000 - Date.now() - REFRESH_AHEAD_MS, 1000);
  refreshTimer = setTimeout(() => {
    refresh(config).catch(() => {
      // The provider is unreachable now; the next 401 tries again.
    });
  }, delay);
}

/** Ends the provider's session too, then comes back to this page signed out. */
export function signOut(config) {
  const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
  forgetTokens();
  const params = new URLSearchParams({
    client_id: config.clientId,
    post_logout_redirect_uri: pageUrl(),
  });
  // With the ID token Keycloak ends the session without asking "Do you want to log out?".
  if (idToken) params.set("id_token_hint", idToken);
  location.assign(`${endpoint(config, "logout")}?${params}`);
}

// A form-encoded POST to the token endpoint (cross-origin: the provider's CORS must allow us).
async function tokenRequest(config, fields) {
  const url = endpoint(config, "token");
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: config.clientId, ...fields }),
    });
  } catch {
    throw new SignInError(
      `Could not reach the token endpoint ${url}: the provider is down, or its CORS settings ` +
        `refuse this page (client ${config.clientId} must list ${location.origin} among its ` +
        `web origins).`,
    );
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: reported by status below.
  }
  if (!response.ok || !body || !body.access_token) {
    const why = (body && (body.error_description || body.error)) || `HTTP ${response.status}`;
    const error = new SignInError(`The token endpoint refused the request: ${why}.`);
    error.status = response.status;
    throw error;
  }
  return body;
}
