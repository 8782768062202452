#!/usr/bin/env node
// Generate a clip with Framecast's public gRPC API (framecast.v1.VideoGeneration/Generate).
//
// Loads the .proto files at run time (@grpc/proto-loader), calls Generate with a bearer token,
// prints progress, writes the MP4 and prints the job id, seed and GPU-seconds. Exits non-zero on
// any error, with the gRPC status and its google.rpc details.
//
//   ./framecast serve --port 8080 &
//   FRAMECAST_TOKEN=$(./framecast token --tenant acme) \
//     node examples/node/generate.mjs "a red circle moving right" --steps 12
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const API_PROTO = "framecast/v1/video_generation.proto";
const RPC_PROTOS = ["google/rpc/status.proto", "google/rpc/error_details.proto"];
// WatchJob resumes a stream that broke with one of these (the job keeps running server-side).
const RESUMABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.INTERNAL, grpc.status.UNKNOWN]);
const MAX_RESUMES = 5;

const USAGE = `usage: node generate.mjs PROMPT [--server localhost:8080] [--token T] [--negative-prompt S]
       [--model NAME] [--steps N] [--guidance G] [--seed N] [--preview-every N] [--out clip.mp4]
       [--timeout SECONDS] [--proto-path DIR]...
The token defaults to $FRAMECAST_TOKEN (./framecast token --tenant acme).`;

function fail(message) {
  console.error(`generate.mjs: ${message}`);
  process.exit(2);
}

function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      server: { type: "string", default: "localhost:8080" },
      token: { type: "string", default: process.env.FRAMECAST_TOKEN },
      "negative-prompt": { type: "string", default: "" },
      model: { type: "string", default: "" },
      steps: { type: "string", default: "0" },
      guidance: { type: "string" },
      seed: { type: "string" },
      "preview-every": { type: "string", default: "0" },
      out: { type: "string", default: "clip.mp4" },
      timeout: { type: "string", default: "600" },
      "proto-path": { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) fail(`expected one prompt\n${USAGE}`);
  if (!values.token) fail("no token: pass --token or set FRAMECAST_TOKEN (./framecast token --tenant acme)");
  for (const name of ["steps", "preview-every", "seed"]) {
    if (values[name] !== undefined && !/^\d+$/.test(values[name])) fail(`--${name} must be a whole number`);
  }
  for (const name of ["guidance", "timeout"]) {
    if (values[name] !== undefined && !Number.isFinite(Number(values[name]))) fail(`--${name} must be a number`);
  }
  return { ...values, prompt: positionals[0] };
}

// google/rpc/*.proto are not in proto/src/main/proto: the proto module gets them from the
// com.google.api.grpc:proto-google-common-protos jar, which the Maven build unpacks into
// proto/target/protoc-dependencies/<hash>/.
function rpcProtoDir(extraDirs) {
  const unpacked = path.join(REPO, "proto/target/protoc-dependencies");
  const dirs = [...extraDirs];
  if (existsSync(unpacked)) dirs.push(...readdirSync(unpacked).sort().map((d) => path.join(unpacked, d)));
  const dir = dirs.find((d) => RPC_PROTOS.every((p) => existsSync(path.join(d, p))));
  if (!dir) {
    fail("google/rpc/status.proto not found: build the proto module once " +
        "(./mvnw -pl proto generate-sources) or pass --proto-path DIR");
  }
  return dir;
}

function load(extraDirs) {
  const includeDirs = [path.join(REPO, "proto/src/main/proto"), rpcProtoDir(extraDirs)];
  const definition = protoLoader.loadSync(API_PROTO, {
    includeDirs,
    longs: String, // uint64 (seq, seed, offsets) as decimal strings
    enums: String,
    defaults: true,
    oneofs: true, // event.event names the JobEvent oneof member that is set
  });
  const api = grpc.loadPackageDefinition(definition).framecast.v1;
  // grpc-js hands error details over as bytes; protobufjs decodes google.rpc.Status and its Anys.
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) =>
    includeDirs.map((d) => path.join(d, target)).find(existsSync) || target;
  root.loadSync(RPC_PROTOS, { keepCase: false });
  return { api, root };
}

// One line per google.rpc detail (a google.protobuf.Any).
function describeDetails(root, details) {
  const lines = [];
  for (const any of details || []) {
    const typeUrl = any.typeUrl || any.type_url || "";
    const type = root.lookup(typeUrl.split("/").pop());
    if (!type) {
      lines.push(`  ${typeUrl}`);
      continue;
    }
    const d = type.toObject(type.decode(any.value), { longs: String });
    switch (type.name) {
      case "BadRequest":
        for (const v of d.fieldViolations || []) lines.push(`  field ${v.field}: ${v.description}`);
        break;
      case "RetryInfo":
        lines.push(`  retry after ${Number(d.retryDelay?.seconds || 0) + (d.retryDelay?.nanos || 0) / 1e9} s`);
        break;
      case "ErrorInfo":
        lines.push(`  reason ${d.reason} (${d.domain})`);
        break;
      default:
        for (const v of d.violations || []) lines.push(`  ${v.subject}: ${v.description}`);
    }
  }
  return lines;
}

function reportRpcError(root, error) {
  const raw = error.metadata?.get("grpc-status-details-bin")?.[0];
  const status = raw ? root.lookupType("google.rpc.Status").decode(raw) : null;
  // The status in the trailer carries the message as sent; grpc-js undoes only part of the
  // percent-encoding of grpc-message (decodeURI leaves %3A, %2C, ...), and some servers encode all.
  const message = status?.message || error.details;
  console.error(`error: ${grpc.status[error.code] || error.code}: ${message}`);
  for (const line of describeDetails(root, status?.details)) console.error(line);
}

// Prints one event; returns the exit code once the job has ended, else undefined.
function handle(event, clip, opts, root) {
  switch (event.event) {
    case "queued":
      console.log(`job ${event.jobId}: queued (position ${event.queued.position})`);
      break;
    case "started":
      console.log(`job ${event.jobId}: started on ${event.started.node || "a node"}`);
      break;
    case "progress": {
      const p = event.progress;
      const preview = p.previewPng.length ? `, preview ${p.previewPng.length} B` : "";
      console.log(`step ${p.step}/${p.totalSteps}${preview}`);
      break;
    }
    case "clipChunk":
      clip.set(Number(event.clipChunk.offset), event.clipChunk.data);
      break;
    case "completed": {
      const c = event.completed;
      const bytes = clip.bytes();
      writeFileSync(opts.out, bytes);
      const info = c.clip || {};
      console.log(`wrote ${opts.out}: ${bytes.length} bytes, ${info.frameCount} frames ` +
          `${info.width}x${info.height} at ${info.fps} fps (${info.contentType})`);
      console.log(`job ${event.jobId}: succeeded; seed ${c.seed}, ${c.gpuSeconds.toFixed(3)} GPU-seconds`);
      return 0;
    }
    case "failed": {
      const s = event.failed.status || {};
      console.error(`job ${event.jobId}: failed: code ${s.code}: ${s.message}`);
      for (const line of describeDetails(root, s.details)) console.error(line);
      return 1;
    }
    case "cancelled":
      console.error(`job ${event.jobId}: cancelled: ${event.cancelled.reason}`);
      return 1;
    default:
      break; // frame events come only with includeFrames
  }
  return undefined;
}

// The clip's chunks, placed by offset (a resumed stream may repeat none or start mid-way).
class Clip {
  constructor() {
    this.parts = new Map();
  }
  set(offset, data) {
    this.parts.set(offset, Buffer.from(data));
  }
  bytes() {
    const sorted = [...this.parts.entries()].sort((a, b) => a[0] - b[0]);
    const size = sorted.reduce((end, [offset, data]) => Math.max(end, offset + data.length), 0);
    const out = Buffer.alloc(size);
    for (const [offset, data] of sorted) data.copy(out, offset);
    return out;
  }
}

// Resolves with the exit code when `stream` ends; rejects with the gRPC error if it breaks.
function consume(stream, state, opts, root) {
  return new Promise((resolve, reject) => {
    let code;
    let failed = false;
    stream.on("data", (event) => {
      if (code !== undefined) return;
      state.jobId = event.jobId;
      if (Number(event.seq) > state.lastSeq) state.lastSeq = Number(event.seq);
      code = handle(event, state.clip, opts, root);
    });
    stream.on("error", (error) => {
      failed = true;
      if (code === undefined) reject(error);
      else resolve(code);
    });
    stream.on("end", () => {
      if (failed) return;
      if (code === undefined) console.error("error: the stream ended before the job did");
      resolve(code ?? 1);
    });
  });
}

async function main() {
  const opts = options();
  const { api, root } = load(opts["proto-path"]);
  const client = new api.VideoGeneration(opts.server, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${opts.token}`);
  const deadline = () => Date.now() + 1000 * Number(opts.timeout);

  const request = {
    prompt: opts.prompt,
    negativePrompt: opts["negative-prompt"],
    model: opts.model,
    steps: Number(opts.steps),
    previewEvery: Number(opts["preview-every"]),
  };
  if (opts.seed !== undefined) request.seed = opts.seed; // uint64 as a string: no rounding
  if (opts.guidance !== undefined) request.guidanceScale = Number(opts.guidance);

  const state = { jobId: "", lastSeq: 0, clip: new Clip() };
  let stream = client.Generate(request, metadata, { deadline: deadline() });
  for (let resumes = 0; ; resumes++) {
    try {
      return await consume(stream, state, opts, root);
    } catch (error) {
      if (!state.jobId || !RESUMABLE.has(error.code) || resumes >= MAX_RESUMES) {
        reportRpcError(root, error);
        return 1;
      }
      console.log(`stream broke (${grpc.status[error.code]}); resuming ${state.jobId} after seq ${state.lastSeq}`);
      stream = client.WatchJob({ jobId: state.jobId, afterSeq: String(state.lastSeq) }, metadata, {
        deadline: deadline(),
      });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`generate.mjs: ${error.stack || error}`);
    process.exit(1);
  },
);
