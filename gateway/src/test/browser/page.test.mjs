// End-to-end test of the gateway's web page in a real Chromium (the system one; playwright-core
// downloads no browser). Against a running gateway in embedded mode:
//
//   FRAMECAST_URL=http://localhost:8080 node page.test.mjs
//
// Environment: FRAMECAST_URL (required), CHROMIUM (default /usr/bin/chromium), TENANT (acme),
// STEPS (6), TIMEOUT_S (180, for the whole generation), SCREENSHOT_DIR (./screenshots; written
// on failure together with the page's console log), HEADED=1 to watch it.
// It also checks a bad request's field violation and cancelling a job.
import { chromium } from "playwright-core";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

const baseUrl = process.env.FRAMECAST_URL;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const tenant = process.env.TENANT || "acme";
const steps = Number(process.env.STEPS || 6);
const timeoutMs = 1000 * Number(process.env.TIMEOUT_S || 180);
const screenshotDir = path.resolve(process.env.SCREENSHOT_DIR || "screenshots");

// The flags that work for Debian's Chromium in a container without a display or GPU.
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

if (!baseUrl) {
  console.error("page.test: set FRAMECAST_URL to the gateway, e.g. http://localhost:8080");
  process.exit(2);
}

const consoleLines = [];
let currentCheck = "starting";

function check(name) {
  currentCheck = name;
  console.log(`page.test: ${name}`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function run(page) {
  const pageErrors = [];
  page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => {
    pageErrors.push(e);
    consoleLines.push(`[pageerror] ${e.stack || e}`);
  });

  check(`open ${baseUrl}`);
  const response = await page.goto(baseUrl, { waitUntil: "load" });
  assert(response && response.ok(), `GET / answered ${response && response.status()}`);
  assert((await page.title()) === "Framecast", `unexpected page title "${await page.title()}"`);

  check(`dev token for tenant ${tenant}`);
  await page.selectOption("#tenant", tenant);
  await page.click("#get-token");
  // Signed in once /v1/models answered with the token: the Generate button turns on.
  await page.waitForFunction(
    () => !document.querySelector("#generate").disabled || !document.querySelector("#error").hidden,
    null,
    { timeout: 30_000 },
  );
  await failOnErrorBox(page, "getting a token and the models");
  const modelCount = await page.locator("#model option").count();
  assert(modelCount > 0, "no models listed after signing in");
  assert(
    await page.evaluate(() => Boolean(sessionStorage.getItem("framecast.token"))),
    "the token was not kept in sessionStorage",
  );

  check("a bad request shows field violations next to the field");
  const maxSteps = Number(await page.getAttribute("#steps", "max")) || 100;
  await page.fill("#steps", String(maxSteps + 1));
  await page.click("#generate");
  await page.waitForSelector("#steps-error:not([hidden])", { timeout: 15_000 });
  assert(
    (await page.getAttribute("#steps", "aria-invalid")) === "true",
    "#steps not marked aria-invalid after a field violation",
  );
  const errorText = await page.textContent("#error");
  assert(/400/.test(errorText), `the error box does not show the 400: "${errorText}"`);

  check(`generate with ${steps} steps, preview every 2`);
  await page.fill("#prompt", "a red circle moving right");
  await page.fill("#steps", String(steps));
  await page.fill("#preview-every", "2");
  await page.fill("#seed", "42");
  await page.click("#generate");
  await page.waitForFunction(
    () => document.querySelector("#job-id").textContent.trim() !== "–" || !document.querySelector("#error").hidden,
    null,
    { timeout: 15_000 },
  );
  await failOnErrorBox(page, "submitting the job");
  assert((await page.isHidden("#steps-error")), "the old field violation is still shown");
  const jobId = (await page.textContent("#job-id")).trim();
  console.log(`page.test: job ${jobId}`);

  check("progress reaches 100%");
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
  const progress = await page.evaluate(() => {
    const bar = document.querySelector("#progress");
    return { value: bar.value, max: bar.max, label: document.querySelector("#progress-label").textContent };
  });
  assert(progress.max === steps, `progress max ${progress.max}, expected ${steps} steps`);
  assert(/100%/.test(progress.label), `progress label "${progress.label}" does not say 100%`);

  check("the video loads and has a duration");
  await page.waitForFunction(
    () => {
      const v = document.querySelector("#video");
      return (v.readyState >= 1 && v.duration > 0) || !document.querySelector("#error").hidden;
    },
    null,
    { timeout: 60_000, polling: 100 },
  );
  await failOnErrorBox(page, "loading the clip");
  const video = await page.evaluate(() => {
    const v = document.querySelector("#video");
    return {
      duration: v.duration,
      width: v.videoWidth,
      height: v.videoHeight,
      error: v.error && v.error.message,
      loop: v.loop,
      muted: v.muted,
      controls: v.controls,
    };
  });
  assert(!video.error, `the video element reports an error: ${video.error}`);
  assert(Number.isFinite(video.duration) && video.duration > 0, `video.duration is ${video.duration}`);
  assert(video.width > 0 && video.height > 0, `video size ${video.width}x${video.height}`);
  assert(video.loop && video.muted && video.controls, "the video lacks controls, loop or muted");

  check("the preview and the frame strip were shown");
  const shown = await page.evaluate(() => {
    const preview = document.querySelector("#preview");
    const frames = Array.from(document.querySelectorAll("#frames img"));
    return {
      preview: !preview.hidden && preview.complete && preview.naturalWidth > 0,
      frames: frames.length,
      framesDecoded: frames.filter((img) => img.complete && img.naturalWidth > 0).length,
    };
  });
  assert(shown.preview, "no live preview image was shown");
  assert(shown.frames > 0, "the frame strip is empty");
  assert(shown.framesDecoded === shown.frames, `${shown.frames - shown.framesDecoded} frame(s) did not decode`);

  check("GPU-seconds, seed and status at the end");
  const facts = await page.evaluate(() => ({
    gpu: document.querySelector("#gpu-seconds").textContent.trim(),
    seed: document.querySelector("#result-seed").textContent.trim(),
    status: document.querySelector("#status").textContent.trim(),
    cancelDisabled: document.querySelector("#cancel").disabled,
  }));
  assert(Number(facts.gpu) > 0, `GPU-seconds shown as "${facts.gpu}"`);
  assert(facts.seed === "42", `seed shown as "${facts.seed}", expected 42`);
  assert(/Succeeded/.test(facts.status), `status is "${facts.status}"`);
  assert(facts.cancelDisabled, "Cancel is still enabled after the job ended");

  check("Cancel stops a longer job");
  // 30 steps: long enough to cancel midway, within every demo tenant's max_steps.
  await page.fill("#steps", String(Math.min(30, maxSteps)));
  await page.fill("#preview-every", "0");
  await page.click("#generate");
  await page.waitForFunction(() => !document.querySelector("#cancel").disabled, null, { timeout: 15_000 });
  await page.click("#cancel");
  await page.waitForFunction(() => !document.querySelector("#generate").disabled, null, { timeout: 60_000 });
  await failOnErrorBox(page, "cancelling");
  const cancelled = (await page.textContent("#status")).trim();
  assert(/^Cancelled/.test(cancelled), `status after Cancel is "${cancelled}"`);
  assert(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join("; ")}`);

  console.log(
    `page.test: OK: ${progress.max} steps, ${shown.frames} frames, ` +
      `video ${video.width}x${video.height} ${video.duration.toFixed(2)} s, ${facts.gpu} GPU-seconds`,
  );
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
    console.error(`page.test: FAILED: cannot start Chromium at ${executablePath} (set CHROMIUM): ${error.message}`);
    process.exit(1);
  }
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.setDefaultTimeout(30_000);
  try {
    await run(page);
  } catch (error) {
    console.error(`page.test: FAILED at "${currentCheck}": ${error.message}`);
    await mkdir(screenshotDir, { recursive: true });
    const shot = path.join(screenshotDir, "failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    await writeFile(path.join(screenshotDir, "console.log"), consoleLines.join("\n") + "\n");
    console.error(`page.test: screenshot and console log in ${screenshotDir}`);
    if (consoleLines.length) console.error(consoleLines.slice(-20).join("\n"));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
