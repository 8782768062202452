// Framecast's webhooks, received and verified as a team's service would: a local HTTP receiver,
// signatures checked with the standardwebhooks package (the Standard Webhooks reference library),
// repeats dropped by webhook-id. Its first answer is a 500, so the platform must deliver again.
//
//   FRAMECAST_WEBHOOK_SECRET=whsec_... node webhooks.mjs --base-url http://localhost:8080/v1 \
//       --api-key "$(./framecast token --tenant acme)"
//
// The gateway must allow webhooks to this machine (./framecast serve --webhook-allow 127.0.0.0/8)
// and the tenant must have the secret in its tenants.yaml (webhook_secret). Checks: a completed
// video's video.completed and a deleted running video's video.cancelled arrive, verified, each
// accepted exactly once per webhook-id despite the injected failure.
import http from 'node:http';
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';

function parseArgs(argv) {
  const options = {
    baseURL: process.env.FRAMECAST_BASE_URL ?? 'http://localhost:8080/v1',
    apiKey: process.env.FRAMECAST_TOKEN,
    secret: process.env.FRAMECAST_WEBHOOK_SECRET,
    steps: '4',
    timeoutMs: 120_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
    const value = argv[++i];
    switch (arg) {
      case '--base-url': options.baseURL = value; break;
      case '--api-key': options.apiKey = value; break;
      case '--steps': options.steps = value; break;
      default: throw new Error(`unknown option ${arg}`);
    }
  }
  if (!options.apiKey) throw new Error('no API key: pass --api-key or set FRAMECAST_TOKEN');
  if (!options.secret) throw new Error('set FRAMECAST_WEBHOOK_SECRET to the tenant\'s webhook_secret');
  return options;
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const verifier = new Webhook(options.secret);
  const attempts = []; // every request: { id, status }
  const accepted = new Map(); // webhook-id -> the verified event
  let failNext = 1;

  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = request.headers['webhook-id'];
      let event;
      try {
        event = verifier.verify(body, request.headers);
      } catch (error) {
        attempts.push({ id, status: 400 });
        console.error(`receiver: signature check failed for ${id}: ${error.message}`);
        response.writeHead(400).end();
        return;
      }
      if (failNext > 0) {
        failNext--;
        attempts.push({ id, status: 500 });
        console.log(`receiver: ${event.type} ${id}: answering 500 (injected failure)`);
        response.writeHead(500).end();
        return;
      }
      attempts.push({ id, status: 200 });
      if (accepted.has(id)) {
        console.log(`receiver: ${event.type} ${id}: a repeat, dropped`);
      } else {
        accepted.set(id, event);
        console.log(`receiver: ${event.type} ${id} for ${event.data.id}: verified, accepted`);
      }
      response.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hooks/framecast`;
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey });

  try {
    // A video that completes, and one deleted while it runs (cancelled, then deleted).
    const done = await client.videos.create({ prompt: 'a red circle moving right', steps: options.steps, webhook_url: url });
    const doomed = await client.videos.create({ prompt: 'a blue square moving up', steps: '100', webhook_url: url });
    await client.videos.delete(doomed.id);

    const deadline = Date.now() + options.timeoutMs;
    const arrived = (videoId, type) =>
      [...accepted.values()].some((e) => e.data.id === videoId && e.type === type);
    while (!(arrived(done.id, 'video.completed') && arrived(doomed.id, 'video.cancelled'))) {
      if (Date.now() > deadline) {
        throw new Error(`webhooks did not arrive within ${options.timeoutMs} ms: ${JSON.stringify(attempts)}`);
      }
      await sleep(100);
    }
    await sleep(500); // time for a stray duplicate to show up
    const completed = [...accepted.entries()].find(([, e]) => e.data.id === done.id);
    check(completed[1].object === 'event', 'an event object');
    check(completed[0] === completed[1].id, 'webhook-id is the event id');
    const failed = attempts.find((a) => a.status === 500);
    check(failed !== undefined, 'the injected failure happened');
    check(attempts.some((a) => a.id === failed.id && a.status === 200), 'the failed delivery came again with the same webhook-id');
    check(!attempts.some((a) => a.status === 400), 'every signature verified');
    for (const [id] of accepted) {
      check(attempts.filter((a) => a.id === id && a.status === 200).length === 1, `${id} accepted exactly once`);
    }
    const retrieved = await client.videos.retrieve(done.id);
    check(retrieved.status === 'completed', 'the video is completed when its webhook says so');
    console.log(`webhooks: ${attempts.length} attempts, ${accepted.size} events accepted once each; all checks passed`);
  } finally {
    server.close();
  }
}

main().catch((error) => {
  if (error instanceof OpenAI.APIError) {
    console.error(`error: ${error.status} ${error.type ?? ''} param=${error.param ?? ''} code=${error.code ?? ''}: ${error.message}`);
  } else {
    console.error(`error: ${error.message ?? error}`);
  }
  process.exit(1);
});
