// Framecast's browser page: the gateway's REST + server-sent-events API, no framework.
//
// EventSource cannot send an Authorization header, so the event stream is read with fetch() and
// parsed here; a dropped stream is resumed with Last-Event-ID from the last seq seen.
// Paths are relative so the page also works behind a path prefix.
//
// How it gets a token depends on the gateway (GET v1/auth/config): a development token in embedded
// mode, a sign-in through the OIDC provider (signin.js) in distributed mode, or a pasted token.

import * as signin from "./signin.js";

const TERMINAL_EVENTS = new Set(["completed", "failed", "cancelled"]);
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const QUEUE_POLL_MS = 1000;

const $ = (id) => document.getElementById(id);

// Form inputs by the request field (lowerCamelCase, as in the JSON mapping) they carry.
const FIELD_INPUTS = {
  model: "model",
  prompt: "prompt",
  negativePrompt: "negative-prompt",
  steps: "steps",
  guidanceScale: "guidance",
  seed: "seed",
  previewEvery: "preview-every",
};

let models = [];
// GET v1/auth/config: { mode, issuer, clientId, devTokens }; null until read, or if it failed.
let authConfig = null;
// The job being shown: { id, abort: AbortController, lastSeq, state }.
let current = null;
let clipUrl = null;

// For answers without the gateway's JSON error body (a proxy, or an auth layer in front).
const HTTP_REASONS = {
  401: "the token is missing, invalid or expired",
  403: "not allowed",
  404: "not found",
  429: "too many requests",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

class ApiError extends Error {
  constructor(httpStatus, body) {
    const err = (body && body.error) || {};
    super(err.message || HTTP_REASONS[httpStatus] || "request failed");
    this.httpStatus = httpStatus;
    this.status = err.status || "";
    this.details = Array.isArray(err.details) ? err.details : [];
  }
}

// ---- HTTP --------------------------------------------------------------------------------------

function token() {
  return signin.accessToken();
}

// Signing in through the provider is offered only where the gateway trusts its tokens.
function providerSignIn() {
  return Boolean(authConfig && authConfig.mode === "distributed" && authConfig.issuer);
}

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  return headers;
}

async function readError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the HTTP status alone is reported.
  }
  return new ApiError(response.status, body);
}

// fetch() with the bearer token. A 401 with a refresh token at hand (signed in through the
// provider) gets one new access token and one retry: the token may have expired while the tab slept.
async function authedFetch(path, init = {}) {
  const send = () => fetch(path, { ...init, headers: authHeaders(init.headers) });
  const response = await send();
  if (response.status !== 401 || !providerSignIn() || !signin.hasRefreshToken()) return response;
  let refreshed = false;
  try {
    refreshed = await signin.refresh(authConfig);
  } catch {
    return response; // the provider is unreachable: report the 401
  }
  if (!refreshed) {
    showSignInState();
    return response;
  }
  return send();
}

async function api(method, path, { body, headers, signal } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await authedFetch(path, init);
  if (!response.ok) throw await readError(response);
  return response.json();
}

// crypto.randomUUID() exists only in secure contexts; the gateway is often plain http on a LAN.
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- Messages ----------------------------------------------------------------------------------

function setStatus(text) {
  $("status").textContent = text;
}

function showError(error) {
  const box = $("error");
  box.replaceChildren();
  if (!error) {
    box.hidden = true;
    return;
  }
  const title = document.createElement("strong");
  if (error instanceof ApiError) {
    title.textContent = `${error.httpStatus}${error.status ? " " + error.status : ""}: `;
  } else {
    title.textContent = "Error: ";
  }
  box.append(title, document.createTextNode(error.message));
  const lines = describeDetails(error.details || []);
  if (error instanceof ApiError && error.httpStatus === 401) {
    lines.push(
      providerSignIn()
        ? "Sign in again above."
        : "Get a new token above (development tokens last an hour).",
    );
  }
  if (lines.length) {
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
}

// One line per google.rpc detail worth showing a person.
function describeDetails(details) {
  const lines = [];
  for (const detail of details) {
    const type = String(detail["@type"] || "").split("/").pop();
    if (type === "google.rpc.BadRequest") {
      for (const v of detail.fieldViolations || []) lines.push(`${v.field}: ${v.description}`);
    } else if (type === "google.rpc.RetryInfo" && detail.retryDelay) {
      lines.push(`Retry after ${detail.retryDelay}.`);
    } else if (type === "google.rpc.QuotaFailure") {
      for (const v of detail.violations || []) lines.push(`${v.subject}: ${v.description}`);
    } else if (type === "google.rpc.ErrorInfo") {
      lines.push(`Reason: ${detail.reason}${detail.domain ? " (" + detail.domain + ")" : ""}`);
    } else if (type === "google.rpc.PreconditionFailure") {
      for (const v of detail.violations || []) lines.push(`${v.subject}: ${v.description}`);
    } else if (type === "google.rpc.LocalizedMessage" && detail.message) {
      lines.push(detail.message);
    }
  }
  return lines;
}

// "guidance_scale" or "guidanceScale" (either spelling may come back) -> "guidanceScale".
function camelField(path) {
  const first = String(path).split(/[.[]/)[0];
  return first.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

function clearFieldErrors() {
  for (const inputId of Object.values(FIELD_INPUTS)) {
    $(inputId).removeAttribute("aria-invalid");
    const slot = $(`${inputId}-error`);
    slot.textContent = "";
    slot.hidden = true;
  }
}

// Puts BadRequest field violations next to their fields; returns whether any matched a field.
function showFieldErrors(details) {
  let first = null;
  for (const detail of details) {
    if (!String(detail["@type"] || "").endsWith("google.rpc.BadRequest")) continue;
    for (const v of detail.fieldViolations || []) {
      const inputId = FIELD_INPUTS[camelField(v.field)];
      if (!inputId) continue;
      const slot = $(`${inputId}-error`);
      slot.textContent = slot.textContent ? `${slot.textContent} ${v.description}` : v.description;
      slot.hidden = false;
      $(inputId).setAttribute("aria-invalid", "true");
      first = first || $(inputId);
    }
  }
  if (first) first.focus();
  return first !== null;
}

// ---- Authentication and models -----------------------------------------------------------------

// A token from a dev token or the paste box: any earlier sign-in's refresh token goes with it.
function setToken(value) {
  signin.forgetTokens();
  if (value) sessionStorage.setItem(signin.TOKEN_KEY, value);
  $("token").value = value;
  showSignInState();
}

// Who the token is for, from its claims, for display only: the gateway verifies the token, the
// page never does.
function whoIs(jwt) {
  const claims = signin.claimsOf(jwt);
  const tenant = typeof claims.tenant === "string" ? claims.tenant : "";
  const user = typeof claims.preferred_username === "string" ? claims.preferred_username : "";
  // Keycloak names a team program's service account "service-account-<client>": not a person.
  const person = user && !user.startsWith("service-account-") ? user : "";
  const text = [person && `as ${person}`, tenant && `${person ? "tenant" : "as tenant"} ${tenant}`]
    .filter(Boolean)
    .join(", ");
  return { tenant, person, text: text ? ` ${text}` : "" };
}

async function getDevToken() {
  showError(null);
  const tenant = $("tenant").value;
  try {
    const response = await fetch("v1/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tenant }),
    });
    if (response.status === 404) {
      throw new Error("This gateway issues no development tokens (not embedded mode): paste a token.");
    }
    if (!response.ok) throw await readError(response);
    const body = await response.json();
    setToken(body.accessToken);
    await signedIn();
  } catch (error) {
    $("auth-status").textContent = "Not signed in.";
    showError(error);
  }
}

async function signedIn() {
  const { tenant } = whoIs(token());
  if (Array.from($("tenant").options).some((o) => o.value === tenant)) $("tenant").value = tenant;
  $("auth-status").textContent = `Signed in${whoIs(token()).text}. Loading models…`;
  try {
    const response = await api("GET", "v1/models");
    models = response.models || [];
    fillModels();
    // Read again: a refresh on the way may have brought a new token.
    $("auth-status").textContent =
      `Signed in${whoIs(token()).text}: ${models.length} model(s) available.`;
    $("generate").disabled = models.length === 0 || current !== null;
    refreshUsage();
  } catch (error) {
    $("auth-status").textContent = "Signed out: the token was not accepted.";
    $("generate").disabled = true;
    showError(error);
  }
  showSignInState();
}

// ---- Sign-in through the provider (distributed mode) -------------------------------------------

// Which of dev tokens and Sign in / Sign out the page offers, from the gateway's auth config.
function showAuthChoices() {
  const offerDevTokens = !authConfig || authConfig.devTokens;
  $("dev-token-row").hidden = !offerDevTokens;
  $("dev-token-hint").hidden = !offerDevTokens;
  $("provider-row").hidden = !providerSignIn();
  $("provider-hint").hidden = !providerSignIn();
  if (providerSignIn()) {
    $("provider-hint").textContent =
      `Sign in with your Framecast account at ${authConfig.issuer}, or paste a bearer token ` +
      `(a team program's access token).`;
  }
  showSignInState();
}

// Sign in when no provider session is held here, Sign out when one is.
function showSignInState() {
  if (!providerSignIn()) return;
  const session = signin.hasRefreshToken();
  $("sign-in").hidden = session;
  $("sign-out").hidden = !session;
}

async function startSignIn() {
  showError(null);
  $("sign-in").disabled = true;
  $("auth-status").textContent = "Going to the sign-in page…";
  try {
    await signin.beginSignIn(authConfig);
  } catch (error) {
    $("sign-in").disabled = false;
    $("auth-status").textContent = "Not signed in.";
    showError(error);
  }
}

function signOut() {
  $("auth-status").textContent = "Signing out…";
  signin.signOut(authConfig);
}

async function readAuthConfig() {
  try {
    const response = await fetch("v1/auth/config", { cache: "no-store" });
    if (!response.ok) throw await readError(response);
    return await response.json();
  } catch {
    // An older gateway, or none: offer what always worked (dev tokens, a pasted token).
    return null;
  }
}

function fillModels() {
  const select = $("model");
  select.replaceChildren();
  for (const m of models) {
    const option = document.createElement("option");
    option.value = m.name;
    option.textContent = m.description ? `${m.name} — ${m.description}` : m.name;
    option.selected = Boolean(m.isDefault);
    select.append(option);
  }
  applyModelLimits();
}

function selectedModel() {
  return models.find((m) => m.name === $("model").value) || models[0];
}

function applyModelLimits() {
  const m = selectedModel();
  if (!m) return;
  const steps = $("steps");
  steps.min = m.minSteps ?? 1;
  steps.max = m.maxSteps ?? "";
  steps.placeholder = m.defaultSteps ?? "";
  if (!steps.value) steps.value = m.defaultSteps ?? "";
  $("steps-hint").textContent = `${m.minSteps ?? 1}–${m.maxSteps}, default ${m.defaultSteps}`;
  const guidance = $("guidance");
  guidance.min = m.minGuidanceScale ?? 0;
  guidance.max = m.maxGuidanceScale ?? "";
  guidance.placeholder = m.defaultGuidanceScale ?? "";
  if (!guidance.value) guidance.value = m.defaultGuidanceScale ?? "";
  $("guidance-hint").textContent =
    `${m.minGuidanceScale ?? 0}–${m.maxGuidanceScale}, default ${m.defaultGuidanceScale}`;
  $("model-info").textContent =
    `${m.frameCount} frames, ${m.width}×${m.height}, ${m.fps} fps; prompts up to ${m.maxPromptBytes} bytes.`;
}

async function refreshUsage() {
  try {
    const u = await api("GET", "v1/usage");
    const quota = u.quota || {};
    const daily = quota.dailyGpuSeconds ? ` of ${quota.dailyGpuSeconds}` : "";
    $("usage").textContent =
      `Tenant ${u.tenant}: ${(u.gpuSecondsToday || 0).toFixed(2)}${daily} GPU-seconds today, ` +
      `${u.runningJobs || 0} running, ${u.queuedJobs || 0} queued, ${u.jobsSucceeded || 0} succeeded.`;
  } catch {
    $("usage").textContent = "–";
  }
}

// ---- Submitting --------------------------------------------------------------------------------

// Builds a GenerateRequest in the protobuf JSON mapping; empty inputs are left to the server.
function buildRequest() {
  const request = { prompt: $("prompt").value, includeFrames: true };
  const negative = $("negative-prompt").value;
  if (negative) request.negativePrompt = negative;
  if ($("model").value) request.model = $("model").value;
  const steps = $("steps").value.trim();
  if (steps) request.steps = Number(steps);
  const guidance = $("guidance").value.trim();
  if (guidance) request.guidanceScale = Number(guidance);
  // uint64: a string in the JSON mapping, and past 2^53 a JavaScript number would round it.
  const seed = $("seed").value.trim();
  if (seed) request.seed = seed;
  const previewEvery = $("preview-every").value.trim();
  if (previewEvery) request.previewEvery = Number(previewEvery);
  return request;
}

async function submit(event) {
  event.preventDefault();
  showError(null);
  clearFieldErrors();
  if (!token()) {
    showError(
      new Error(
        providerSignIn()
          ? "Sign in or paste a token first."
          : "Get a development token or paste a token first.",
      ),
    );
    return;
  }
  $("generate").disabled = true;
  const request = buildRequest();
  // One key per click: if the connection drops before the answer, the retry gets the same job
  // back instead of a second one.
  const key = idempotencyKey();
  let job;
  for (let attempt = 1; ; attempt++) {
    try {
      job = await api("POST", "v1/jobs", { body: request, headers: { "Idempotency-Key": key } });
      break;
    } catch (error) {
      // fetch() rejects with a TypeError only when no HTTP answer arrived.
      if (error instanceof TypeError && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      if (error instanceof ApiError && error.httpStatus === 400) showFieldErrors(error.details);
      showError(error);
      $("generate").disabled = false;
      return;
    }
  }
  startJob(job);
}

function resetJobView() {
  $("frames").replaceChildren();
  $("preview").hidden = true;
  $("preview").removeAttribute("src");
  if (clipUrl) URL.revokeObjectURL(clipUrl);
  clipUrl = null;
  const video = $("video");
  video.removeAttribute("src");
  video.load();
  $("download").hidden = true;
  $("gpu-seconds").textContent = "–";
  $("result-seed").textContent = "–";
  $("queue-position").textContent = "–";
  setProgress(0, 0);
}

function startJob(job) {
  if (current) current.abort.abort();
  resetJobView();
  current = { id: job.id, abort: new AbortController(), lastSeq: 0, state: job.state };
  $("job-id").textContent = job.id;
  $("cancel").disabled = false;
  renderJob(job);
  refreshUsage();
  const mine = current;
  follow(mine)
    .catch((error) => {
      if (error.name !== "AbortError") showError(error);
    })
    .finally(() => {
      if (current === mine) {
        current = null;
        $("cancel").disabled = true;
        $("generate").disabled = models.length === 0;
        refreshUsage();
      }
    });
  pollQueuePosition(mine);
}

function renderJob(job) {
  if (job.totalSteps) setProgress(job.step || 0, job.totalSteps);
  if (job.state === "QUEUED") {
    setQueuePosition(job.queuePosition || 0);
    setStatus("Queued.");
  } else {
    $("queue-position").textContent = "–";
  }
  if (job.seed) $("result-seed").textContent = job.seed;
}

function setQueuePosition(position) {
  $("queue-position").textContent = position === 0 ? "0 (next)" : String(position);
}

// Queued events carry the position at admission; GetJob refreshes it while the job waits.
async function pollQueuePosition(job) {
  while (current === job && job.state === "QUEUED") {
    await new Promise((resolve) => setTimeout(resolve, QUEUE_POLL_MS));
    if (current !== job || job.state !== "QUEUED") return;
    try {
      const fresh = await api("GET", `v1/jobs/${encodeURIComponent(job.id)}`, {
        signal: job.abort.signal,
      });
      if (fresh.state === "QUEUED" && job.state === "QUEUED") setQueuePosition(fresh.queuePosition || 0);
    } catch {
      // The event stream reports what matters; a missed refresh is harmless.
    }
  }
}

function setProgress(step, total) {
  const bar = $("progress");
  bar.max = Math.max(total, 1);
  bar.value = Math.min(step, bar.max);
  const percent = total ? Math.round((100 * step) / total) : 0;
  $("progress-label").textContent = `${step} / ${total} steps (${percent}%)`;
  bar.setAttribute("aria-valuetext", `${step} of ${total} steps`);
}

async function cancel() {
  if (!current) return;
  const job = current;
  $("cancel").disabled = true;
  setStatus("Cancelling…");
  try {
    // The event stream reports the outcome (cancelled, or completed if it ended first).
    await api("DELETE", `v1/jobs/${encodeURIComponent(job.id)}`);
  } catch (error) {
    showError(error);
    if (current === job) $("cancel").disabled = false;
  }
}

// ---- Following the event stream ----------------------------------------------------------------

// Reads the job's events until a terminal one, reconnecting with Last-Event-ID when the
// connection drops. Returns normally after the terminal event.
async function follow(job) {
  let failures = 0;
  for (;;) {
    const headers = { Accept: "text/event-stream" };
    if (job.lastSeq > 0) headers["Last-Event-ID"] = String(job.lastSeq);
    let response;
    try {
      response = await authedFetch(`v1/jobs/${encodeURIComponent(job.id)}/events?clip=false`, {
        headers,
        signal: job.abort.signal,
        cache: "no-store",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      response = null; // network error: retry below
    }
    if (response && !response.ok) {
      const error = await readError(response);
      // 5xx and 429 are worth another try; 4xx (auth, not found) are not.
      if (response.status < 500 && response.status !== 429) throw error;
    } else if (response) {
      const before = job.lastSeq;
      try {
        if (await readEvents(response.body, job)) return;
      } catch (error) {
        if (error.name === "AbortError") throw error;
      }
      if (job.lastSeq > before) failures = 0;
    }
    if (failures >= RECONNECT_DELAYS_MS.length) {
      throw new Error("Lost the event stream and could not reconnect; the job may still be running.");
    }
    setStatus("Connection lost; reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAYS_MS[failures++]));
    if (job.abort.signal.aborted) throw new DOMException("aborted", "AbortError");
  }
}

// Parses text/event-stream (WHATWG HTML, "server-sent events") from a byte stream and handles
// each event; returns true once a terminal event was handled.
async function readEvents(body, job) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { id: null, type: "", data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value;
      // A line ends with CRLF, LF or CR; a trailing CR may be the first half of a CRLF.
      let match;
      while ((match = /\r\n|\n|\r(?=[^\n])/.exec(buffer)) !== null) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (event.data.length && dispatch(event, job)) return true;
          event = { id: null, type: "", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue; // comment / keep-alive
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") event.data.push(value);
        else if (field === "event") event.type = value;
        else if (field === "id") event.id = value;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// Handles one SSE event; returns true when it ended the job.
function dispatch(sse, job) {
  let data;
  try {
    data = JSON.parse(sse.data.join("\n"));
  } catch {
    return false; // not a JobEvent
  }
  const seq = Number(data.seq ?? sse.id ?? 0);
  if (seq && seq <= job.lastSeq) return false; // already seen before a reconnect
  if (seq) job.lastSeq = seq;
  const type = sse.type || Object.keys(data).find((k) => TERMINAL_EVENTS.has(k) || k in HANDLERS);
  const handler = HANDLERS[type];
  if (handler) handler(data[type] || {}, job);
  return TERMINAL_EVENTS.has(type);
}

const HANDLERS = {
  // The gateway is stopping (a restart, a rolling update): it ends the stream after this event and
  // follow() reconnects with Last-Event-ID, reaching another replica or the restarted one.
  reconnect() {
    setStatus("The server is restarting; reconnecting…");
  },
  queued(e, job) {
    job.state = "QUEUED";
    setQueuePosition(e.position || 0);
    setStatus("Queued.");
  },
  started(e, job) {
    job.state = "RUNNING";
    $("queue-position").textContent = "–";
    setStatus(e.node ? `Running on ${e.node}.` : "Running.");
  },
  progress(e, job) {
    job.state = "RUNNING";
    $("queue-position").textContent = "–";
    setProgress(e.step || 0, e.totalSteps || 0);
    setStatus(`Denoising: step ${e.step || 0} of ${e.totalSteps || 0}.`);
    if (e.previewPng) {
      const img = $("preview");
      img.src = `data:image/png;base64,${e.previewPng}`;
      img.alt = `Preview after step ${e.step || 0} of ${e.totalSteps || 0}`;
      img.hidden = false;
    }
  },
  frame(e) {
    const index = e.index || 0;
    const frames = $("frames");
    let item = frames.querySelector(`li[data-index="${index}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.index = String(index);
      // Keep the strip in frame order even if frames arrive out of order.
      const after = Array.from(frames.children).find((li) => Number(li.dataset.index) > index);
      frames.insertBefore(item, after || null);
    }
    const img = document.createElement("img");
    img.src = `data:image/png;base64,${e.png}`;
    img.alt = `Frame ${index + 1}`;
    if (e.width) img.width = e.width;
    if (e.height) img.height = e.height;
    item.replaceChildren(img);
    if (!$("status").textContent.startsWith("Decoding")) setStatus("Decoding frames…");
  },
  completed(e, job) {
    job.state = "SUCCEEDED";
    const bar = $("progress");
    setProgress(Number(bar.max), Number(bar.max));
    $("gpu-seconds").textContent = Number(e.gpuSeconds || 0).toFixed(3);
    if (e.seed) $("result-seed").textContent = e.seed;
    setStatus("Succeeded. Loading the clip…");
    loadClip(job);
  },
  failed(e, job) {
    job.state = "FAILED";
    const status = e.status || {};
    const error = new Error(status.message || "The job failed.");
    error.details = status.details || [];
    showError(error);
    setStatus("Failed.");
  },
  cancelled(e, job) {
    job.state = "CANCELLED";
    setStatus(e.reason ? `Cancelled: ${e.reason}` : "Cancelled.");
  },
};

async function loadClip(job) {
  try {
    const response = await authedFetch(`v1/jobs/${encodeURIComponent(job.id)}/clip.mp4`);
    if (!response.ok) throw await readError(response);
    const blob = await response.blob();
    if (clipUrl) URL.revokeObjectURL(clipUrl);
    clipUrl = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: "video/mp4" }));
    const video = $("video");
    video.src = clipUrl;
    video.play().catch(() => {}); // autoplay may be refused; the controls remain
    const link = $("download");
    link.href = clipUrl;
    link.download = `framecast-${job.id}.mp4`;
    link.hidden = false;
    setStatus("Succeeded.");
  } catch (error) {
    showError(error);
    setStatus("Succeeded, but the clip could not be loaded.");
  }
}

// ---- Wiring ------------------------------------------------------------------------------------

async function init() {
  $("get-token").addEventListener("click", getDevToken);
  $("sign-in").addEventListener("click", startSignIn);
  $("sign-out").addEventListener("click", signOut);
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    setToken(value);
    signedIn();
  });
  $("clear-token").addEventListener("click", () => {
    setToken("");
    models = [];
    $("model").replaceChildren();
    $("generate").disabled = true;
    $("auth-status").textContent = "Not signed in.";
  });
  $("model").addEventListener("change", () => {
    $("steps").value = "";
    $("guidance").value = "";
    applyModelLimits();
  });
  $("generate-form").addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancel);

  authConfig = await readAuthConfig();
  showAuthChoices();
  if (providerSignIn()) {
    try {
      if (await signin.completeSignIn(authConfig)) $("auth-status").textContent = "Signed in.";
    } catch (error) {
      $("auth-status").textContent = "Not signed in.";
      showError(error);
    }
    signin.scheduleRefresh(authConfig);
    showSignInState();
  }
  if (token()) {
    $("token").value = token();
    signedIn();
  }
}

init();
