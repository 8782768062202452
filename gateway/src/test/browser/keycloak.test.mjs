// End-to-end test of the web page's sign-in through Keycloak, in a real Chromium (the system one).
// Against a gateway in distributed mode whose issuer is a Keycloak realm with the framecast-web
// client (deploy/keycloak/framecast-realm.json), that client allowing the page's origin:
//
//   FRAMECAST_URL=http://127.0.0.1:8080/ KC_USER=alice KC_PASSWORD=alice-demo-password \
//     KC_TENANT=acme node keycloak.test.mjs
//
// deploy's WebSignInIT runs it against the platform it starts. It checks that a forged redirect
// is refused, signs in on Keycloak's login page, generates a clip, recovers from a rejected access
// token with the refresh token, and signs out of Keycloak.
//
// Environment: FRAMECAST_URL, KC_USER, KC_PASSWORD (required), KC_TENANT (the tenant the user's
// group gives; unset: not checked), CHROMIUM (/usr/bin/chromium), STEPS (4), TIMEOUT_S (180, for
// the generation), SCREENSHOT_DIR (./screenshots; written on failure with the page's console
// log), HEADED=1 to watch it.
import { chromium } from "playwright-core";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

const baseUrl = process.env.FRAMECAST_URL;
const user = process.env.KC_USER;
const password = process.env.KC_PASSWORD;
const expectedTenant = process.env.KC_TENANT || "";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const steps = Number(process.env.STEPS || 4);
const timeoutMs = 1000 * Number(process.env.TIMEOUT_S || 180);
const screenshotDir = path.resolve(process.env.SCREENSHOT_DIR || "screenshots");

// As page.test.mjs: the flags that work for Debian's Chromium in a container without display or GPU.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];

if (!baseUrl || !user || !password) {
  console.error(
    "keycloak.test: set FRAMECAST_URL (a gateway in distributed mode), KC_USER and KC_PASSWORD",
  );
  process.exit(2);
}
const pageUrl = new URL(baseUrl).href;
const pageOrigin = new URL(baseUrl).origin;

const consoleLines = [];
let currentCheck = "starting";

function check(name) {
  currentCheck = name;
  console.log(`keycloak.test: ${name}`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}

const storedToken = (page) => page.evaluate(() => sessionStorage.getItem("framecast.token") || "");

async function run(page) {
  const pageErrors = [];
  page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => {
    pageErrors.push(e);
    consoleLines.push(`[pageerror] ${e.stack || e}`);
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) consoleLines.push(`[navigated] ${frame.url()}`);
  });

  check(`open ${pageUrl}`);
  const config = await (await page.request.get(new URL("v1/auth/config", pageUrl).href)).json();
  assert(config.mode === "distributed" && config.issuer, `not a gateway with an issuer: ${JSON.stringify(config)}`);
  assert(config.devTokens === false, "a distributed gateway offers development tokens");
  const response = await page.goto(pageUrl, { waitUntil: "load" });
  assert(response && response.ok(), `GET ${pageUrl} answered ${response && response.status()}`);
  await page.waitForSelector("#sign-in", { state: "visible", timeout: 15_000 });
  assert(await page.isHidden("#get-token"), "the dev token button is shown in distributed mode");
  assert(await page.isHidden("#sign-out"), "Sign out is shown before signing in");

  check("a redirect with a state this tab did not make is refused");
  await page.goto(`${pageUrl}?code=forged&state=forged`, { waitUntil: "load" });
  await page.waitForSelector("#error:not([hidden])", { timeout: 15_000 });
  assert(/state mismatch/.test(await page.textContent("#error")), "no state-mismatch error shown");
  assert(!(await storedToken(page)), "a forged redirect left a token");
  assert(!new URL(page.url()).searchParams.has("code"), `the code stayed in the URL: ${page.url()}`);

  check("Sign in goes to Keycloak's login page");
  await page.click("#sign-in");
  await page.waitForSelector("#username", { timeout: 30_000 });
  const login = new URL(page.url());
  assert(login.origin === new URL(config.issuer).origin, `the login page is at ${login.origin}`);
  await page.fill("#username", user);
  await page.fill("#password", password);

  check(`sign in as ${user} and land back on the page`);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(pageOrigin), { timeout: 30_000 }),
    page.click("#kc-login"),
  ]);
  await page.waitForFunction(
    () => !document.querySelector("#generate").disabled || !document.querySelector("#error").hidden,
    null,
    { timeout: 30_000 },
  );
  await failOnErrorBox(page, "signing in");
  const landed = new URL(page.url());
  assert(
    !landed.searchParams.has("code") && !landed.searchParams.has("state"),
    `code and state were not stripped from the URL: ${page.url()}`,
  );
  const token = await storedToken(page);
  const claims = claimsOf(token);
  assert(claims.preferred_username === user, `signed in as "${claims.preferred_username}", expected ${user}`);
  const tenant = claims.tenant;
  if (expectedTenant) assert(tenant === expectedTenant, `the token's tenant is "${tenant}", expected ${expectedTenant}`);
  const storage = await page.evaluate(() => ({
    refresh: Boolean(sessionStorage.getItem("framecast.refreshToken")),
    local: localStorage.length,
  }));
  assert(storage.refresh, "no refresh token kept in sessionStorage");
  assert(storage.local === 0, "something was written to localStorage");
  const status = await page.textContent("#auth-status");
  assert(status.includes(user) && status.includes(`tenant ${tenant}`), `auth status "${status}"`);
  assert(await page.isVisible("#sign-out"), "Sign out is not shown after signing in");
  assert(await page.isHidden("#sign-in"), "Sign in is still shown after signing in");

  check(`generate with ${steps} steps`);
  await page.fill("#prompt", "a red circle moving right");
  await page.fill("#steps", String(steps));
  await page.fill("#preview-every", "2");
  await page.click("#generate");
  await page.waitForFunction(
    () => document.querySelector("#job-id").textContent.trim() !== "–" || !document.querySelector("#error").hidden,
    null,
    { timeout: 15_000 },
  );
  await failOnErrorBox(page, "submitting the job");
  console.log(`keycloak.test: job ${(await page.textContent("#job-id")).trim()}`);
  await page.waitForFunction(
    () => {
      const bar = document.querySelector("#progress");
      const ended = /Failed|Cancelled/.test(document.querySelector("#status").textContent);
      return ended || (bar.max > 1 && bar.value === bar.max);
    },
    null,
    { timeout: timeoutMs, polling: 100 },
  );
  await failOnErrorBox(page, "generating");
  const label = await page.textContent("#progress-label");
  assert(/100%/.test(label), `progress label "${label}" does not say 100%`);
  await page.waitForFunction(
    () => {
      const v = document.querySelector("#video");
      return (v.readyState >= 1 && v.duration > 0) || !document.querySelector("#error").hidden;
    },
    null,
    { timeout: 60_000, polling: 100 },
  );
  await failOnErrorBox(page, "loading the clip");
  const duration = await page.evaluate(() => document.querySelector("#video").duration);
  assert(Number.isFinite(duration) && duration > 0, `video.duration is ${duration}`);

  check(`the shown tenant is ${tenant}`);
  await page.waitForFunction(() => /^Tenant /.test(document.querySelector("#usage").textContent), null, {
    timeout: 15_000,
  });
  const usage = await page.textContent("#usage");
  assert(usage.startsWith(`Tenant ${tenant}:`), `usage shows "${usage}"`);

  check("a refused access token is replaced with the refresh token");
  await page.evaluate(() => sessionStorage.setItem("framecast.token", "not-a-token"));
  await page.reload({ waitUntil: "load" });
  await page.waitForFunction(
    () => /model\(s\) available/.test(document.querySelector("#auth-status").textContent) ||
      !document.querySelector("#error").hidden,
    null,
    { timeout: 30_000 },
  );
  await failOnErrorBox(page, "refreshing the token");
  const refreshed = await storedToken(page);
  assert(refreshed !== "not-a-token" && claimsOf(refreshed).preferred_username === user, "no new access token");

  check("Sign out ends the Keycloak session");
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(pageOrigin), { timeout: 30_000 }),
    page.click("#sign-out"),
  ]);
  await page.waitForSelector("#sign-in", { state: "visible", timeout: 15_000 });
  assert(!(await storedToken(page)), "a token is still kept after signing out");
  assert((await page.textContent("#auth-status")).trim() === "Not signed in.", "still shown as signed in");
  // Keycloak asks for the password again: its session is gone, not just the page's tokens.
  await page.click("#sign-in");
  await page.waitForSelector("#username", { timeout: 30_000 });

  assert(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join("; ")}`);
  console.log(`keycloak.test: OK: ${user} (tenant ${tenant}) signed in, ${steps} steps, video ${duration.toFixed(2)} s`);
}

async function failOnErrorBox(page, what) {
  const box = page.locator("#error");
  if (await box.isVisible()) {
    const text = (await box.innerText()).replace(/\s*\n\s*/g, "; ");
    throw new Error(`the page shows an error while ${what}: ${text}`);
  }
}

async function main() {
  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: !process.env.HEADED, args: CHROMIUM_ARGS });
  } catch (error) {
    console.error(`keycloak.test: FAILED: cannot start Chromium at ${executablePath} (set CHROMIUM): ${error.message}`);
    process.exit(1);
  }
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.setDefaultTimeout(30_000);
  try {
    await run(page);
  } catch (error) {
    console.error(`keycloak.test: FAILED at "${currentCheck}": ${error.message}`);
    await mkdir(screenshotDir, { recursive: true });
    const shot = path.join(screenshotDir, "keycloak-failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    await writeFile(path.join(screenshotDir, "keycloak-console.log"), consoleLines.join("\n") + "\n");
    console.error(`keycloak.test: screenshot and console log in ${screenshotDir} (page: ${page.url()})`);
    if (consoleLines.length) console.error(consoleLines.slice(-20).join("\n"));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
