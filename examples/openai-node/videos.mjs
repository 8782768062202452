// Framecast's OpenAI-compatible Videos API, driven by the official OpenAI SDK for Node: create a
// video, poll it until it is done, find it in the list, download the MP4 (checked to hold H.264
// frames), its thumbnail and sprite sheet, and delete it.
//
//   node videos.mjs "a red circle moving right" --base-url http://localhost:8080/v1 \
//       --api-key "$(./framecast token --tenant acme)" --out clip.mp4
//
// Exits non-zero with the API's error (status, type, param, code) when a call fails, or when the
// result is not what the API promises (--frames N: the MP4 must hold N H.264 frames).
import { writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { mp4VideoTrack } from './mp4.mjs';

function parseArgs(argv) {
  const options = {
    baseURL: process.env.FRAMECAST_BASE_URL ?? 'http://localhost:8080/v1',
    apiKey: process.env.FRAMECAST_TOKEN,
    out: 'clip.mp4',
    steps: undefined,
    seed: undefined,
    frames: undefined,
    prompt: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--base-url': options.baseURL = value(); break;
      case '--api-key': options.apiKey = value(); break;
      case '--out': options.out = value(); break;
      case '--steps': options.steps = value(); break;
      case '--seed': options.seed = value(); break;
      case '--frames': options.frames = Number(value()); break;
      default:
        if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
        options.prompt = arg;
    }
  }
  if (!options.prompt) throw new Error('usage: node videos.mjs PROMPT [--base-url URL] [--api-key TOKEN] [--out FILE]');
  if (!options.apiKey) throw new Error('no API key: pass --api-key or set FRAMECAST_TOKEN (./framecast token)');
  return options;
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey });

  // The model's size and length (seconds, size) are what the server can make; steps and seed are
  // this platform's extensions, sent as form fields like the rest.
  const models = await fetch(`${options.baseURL}/models`, {
    headers: { authorization: `Bearer ${options.apiKey}` },
  }).then((r) => r.json());
  const model = models.models.find((m) => m.isDefault) ?? models.models[0];
  const size = `${model.width}x${model.height}`;
  const seconds = String(model.frameCount / model.fps);

  let video = await client.videos.create({
    prompt: options.prompt,
    size,
    seconds,
    ...(options.steps ? { steps: options.steps } : {}),
    ...(options.seed ? { seed: options.seed } : {}),
  });
  console.log(`created ${video.id}: ${video.status}, ${video.size}, ${video.seconds} s`);
  check(video.object === 'video', 'a video object');
  check(['queued', 'in_progress'].includes(video.status), `a new video is queued (${video.status})`);

  let last = -1;
  while (video.status === 'queued' || video.status === 'in_progress') {
    await sleep(250);
    video = await client.videos.retrieve(video.id);
    if (video.progress !== last) {
      process.stdout.write(`\r${video.status} ${video.progress}%   `);
      last = video.progress;
    }
  }
  process.stdout.write('\n');
  if (video.status !== 'completed') {
    throw new Error(`video ${video.id} ${video.status}: ${JSON.stringify(video.error)}`);
  }
  check(video.progress === 100, 'progress 100 when completed');
  check(video.completed_at >= video.created_at, 'completed_at after created_at');
  check(video.expires_at > video.completed_at, 'expires_at after completed_at');

  // The list, newest first, pages followed by the SDK's auto-pagination.
  const seen = [];
  for await (const listed of client.videos.list({ limit: 2 })) {
    seen.push(listed.id);
    if (seen.length >= 50) break;
  }
  check(seen.includes(video.id), `the list holds ${video.id}`);
  const oldestFirst = await client.videos.list({ order: 'asc', limit: 100 });
  check(oldestFirst.data.some((v) => v.id === video.id), 'the ascending list holds it too');

  const content = await client.videos.downloadContent(video.id);
  check(content.headers.get('content-type') === 'video/mp4', 'video/mp4');
  const mp4 = Buffer.from(await content.arrayBuffer());
  await writeFile(options.out, mp4);
  const track = mp4VideoTrack(mp4);
  console.log(`${options.out}: ${mp4.length} bytes, ${track.codec}, ${track.samples} frames, ` +
    `${track.width}x${track.height}`);
  check(track.codec === 'avc1', `H.264 (avc1), got ${track.codec}`);
  if (options.frames !== undefined) {
    check(track.samples === options.frames, `${options.frames} frames, got ${track.samples}`);
  }
  check(`${track.width}x${track.height}` === video.size, `the clip is ${video.size}`);

  for (const variant of ['thumbnail', 'spritesheet']) {
    const image = await client.videos.downloadContent(video.id, { variant });
    const bytes = Buffer.from(await image.arrayBuffer());
    check(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
      `the ${variant} is a PNG`);
    console.log(`${variant}: ${bytes.length} bytes, PNG`);
  }

  const deleted = await client.videos.delete(video.id);
  check(deleted.deleted === true && deleted.id === video.id, 'deleted');
  try {
    await client.videos.retrieve(video.id);
    check(false, 'a deleted video is not found');
  } catch (error) {
    check(error instanceof OpenAI.NotFoundError, `404 after delete, got ${error}`);
  }

  // A bad key is the SDK's AuthenticationError (401, OpenAI's error shape).
  const stranger = new OpenAI({ baseURL: options.baseURL, apiKey: 'not-a-token', maxRetries: 0 });
  try {
    await stranger.videos.retrieve(video.id);
    check(false, 'a bad API key is refused');
  } catch (error) {
    check(error instanceof OpenAI.AuthenticationError, `401 for a bad key, got ${error}`);
    check(error.code === 'invalid_api_key', `code invalid_api_key, got ${error.code}`);
  }
  console.log(`deleted ${video.id}; all checks passed`);
}

main().catch((error) => {
  if (error instanceof OpenAI.APIError) {
    console.error(`error: ${error.status} ${error.type ?? ''} param=${error.param ?? ''} ` +
      `code=${error.code ?? ''}: ${error.message}`);
  } else {
    console.error(`error: ${error.message ?? error}`);
  }
  process.exit(1);
});
