// Osprey's web UI in a real browser: Debian's Chromium (no browser download) driven by playwright-core,
// against `osprey deploy` with an API key. Launches the demo SFT from the Train form, watches its loss curve
// grow from the job's event stream, cancels and resumes it, chats with the served model, and lists the
// plugins; a screenshot of each page goes to OSPREY_SCREENSHOTS (docs/webui-*.png in the README).
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.OSPREY_SCREENSHOTS ?? path.resolve('target', 'screenshots');
const SLOW = 240_000; // training beside the browser on a loaded 2-core machine

// The steps build on each other (the key, then the job): after a failure the rest are skipped, not timed out.
let broken = null;
function test(name, body) {
  nodeTest(name, async (t) => {
    if (broken) return t.skip(`after the failure of '${broken}'`);
    try {
      await body(t);
    } catch (e) {
      broken = name;
      throw e;
    }
  });
}

let server;
let context;
let page;
let profile;

before(async () => {
  server = await startServer();
  profile = mkdtempSync(path.join(tmpdir(), 'osprey-webui-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
});

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `webui-${name}.png`) });

async function apiGet(route) {
  const r = await fetch(server.base + route, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  assert.equal(r.status, 200, `GET ${route}`);
  return r.json();
}

test('the pages load without the key, and every API route still needs it', async () => {
  const ui = await fetch(server.base + '/ui/');
  assert.equal(ui.status, 200);
  assert.match(await ui.text(), /<div id="app">/);
  for (const [method, route] of [
    ['GET', '/api/jobs'],
    ['POST', '/api/jobs'],
    ['GET', '/api/webui/methods/sft'],
    ['POST', '/api/webui/methods/sft/validate'],
    ['GET', '/api/plugins'],
    ['POST', '/v1/chat/completions'],
  ]) {
    const r = await fetch(server.base + route, { method, body: method === 'POST' ? '{}' : undefined });
    assert.equal(r.status, 401, `${method} ${route} without the key`);
  }
});

test('the UI asks for the API key, then lists the jobs', async () => {
  await page.goto(server.base + '/'); // the root redirects to /ui/
  await page.locator('#api-key').fill(server.apiKey);
  await page.getByRole('button', { name: 'Use key' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  // the list, or its empty note on a fresh home
  await page.waitForFunction(() => document.querySelector('table.jobs') || document.body.textContent.includes('No jobs yet'));
  assert.equal(await page.locator('.overlay').count(), 0, 'the key dialog closed');
});

let firstJob;

test('the Train form is the CLI argument model: demo defaults, validation messages, command preview', async () => {
  await page.goto(server.base + '/ui/#/train');
  const preview = page.locator('#command-preview');
  await preview.waitFor();
  const spec = await apiGet('/api/webui/methods/sft');
  assert.ok(spec.arguments.length > 50, 'every SFT argument of `osprey sft --help`');
  assert.ok(spec.arguments.find((a) => a.name === 'learning_rate' && a.aliases.includes('lr')));
  assert.match(await preview.textContent(), /^osprey sft --model \S+tiny-chat --dataset \S+qa\.jsonl/);
  assert.match(await preview.textContent(), /--lora_rank 16 /);

  // a bad value gets the method's own message, naming the option as the command line does
  await page.locator('#arg-lora_rank').fill('sixteen');
  const invalid = page.locator('[data-error-for="lora_rank"]');
  await invalid.waitFor();
  assert.match(await invalid.textContent(), /lora_rank/);
  await page.locator('#arg-lora_rank').fill('16');
  await invalid.waitFor({ state: 'detached' });

  // log every 10 steps (the demo logs every 25) so the curve grows quickly; the preview follows the form
  await page.locator('#arg-logging_steps').fill('10');
  await page.waitForFunction(() => document.querySelector('#command-preview').textContent.includes('--logging_steps 10'));
  await shot('train');

  await page.locator('#launch').click();
  await page.waitForURL(/#\/jobs\/job-/);
  firstJob = page.url().split('#/jobs/')[1];
  const job = await apiGet(`/api/jobs/${firstJob}`);
  assert.equal(job.method, 'sft');
  assert.equal(job.arguments.logging_steps, '10');
});

/** The number of points the loss chart draws. */
const lossPoints = () => page.locator('#loss-chart').getAttribute('data-points').then(Number);

test('the job page draws the loss curve live, then cancel and resume continue it', async () => {
  await page.waitForFunction(() => Number(document.querySelector('#loss-chart')?.dataset.points) >= 3, null, { timeout: SLOW });
  const seen = await lossPoints();
  await page.waitForFunction((n) => Number(document.querySelector('#loss-chart').dataset.points) > n, seen, { timeout: SLOW });
  assert.ok((await page.locator('#lr-chart').getAttribute('data-points')) > 0, 'the learning-rate curve too');
  // the evaluation loss of step 50 (the demo's eval_steps) arrives on the same stream
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('eval_loss'), null, { timeout: SLOW });
  await shot('job');

  await page.locator('#cancel').click();
  await page.waitForFunction(() => document.querySelector('#job-state').textContent === 'cancelled', null, { timeout: SLOW });
  await page.waitForFunction(() => document.querySelector('#last-checkpoint').textContent.includes('checkpoint-'));
  const cancelled = await apiGet(`/api/jobs/${firstJob}`);
  assert.equal(cancelled.state, 'cancelled');
  const checkpoint = cancelled.last_checkpoint;
  const stoppedAt = Number(checkpoint.match(/checkpoint-(\d+)/)[1]);

  await page.locator('#resume').click();
  await page.waitForURL((url) => url.hash.startsWith('#/jobs/') && !url.hash.endsWith(firstJob));
  const resumedId = page.url().split('#/jobs/')[1];
  const resumed = await apiGet(`/api/jobs/${resumedId}`);
  assert.equal(resumed.arguments.resume_from_checkpoint, checkpoint);
  assert.equal(resumed.output_dir, cancelled.output_dir);
  // the resumed job logs steps after the checkpoint's, not from step 1
  await page.waitForFunction(() => Number(document.querySelector('#loss-chart')?.dataset.points) >= 1, null, { timeout: SLOW });
  const progress = await apiGet(`/api/jobs/${resumedId}`);
  assert.ok(progress.progress.step > stoppedAt, `resumed at step ${progress.progress.step}, after ${stoppedAt}`);
  await page.locator('#cancel').click();
  await page.waitForFunction(() => document.querySelector('#job-state').textContent === 'cancelled', null, { timeout: SLOW });

  // both jobs are listed, and stay listed after a reload
  await page.goto(server.base + '/ui/#/jobs');
  await page.reload();
  await page.locator(`tr[data-job="${firstJob}"]`).waitFor();
  await page.locator(`tr[data-job="${resumedId}"]`).waitFor();
  await shot('jobs');
});

test('chat streams an answer from the served model, with a system prompt and sampling settings', async () => {
  await page.goto(server.base + '/ui/#/chat');
  await page.locator('#chat-model option[value="tiny-chat"]').waitFor({ state: 'attached' });
  await page.locator('#system-prompt').fill('You are a helpful assistant.');
  await page.locator('#temperature').fill('0');
  await page.locator('#max-tokens').fill('16');
  await page.locator('#chat-input').fill('What is the capital of France?');
  await page.locator('#send').click();
  const answer = page.locator('.message.assistant p');
  await page.waitForFunction(
    () => {
      const p = document.querySelector('.message.assistant p');
      return p && p.textContent.length > 0 && p.textContent !== '…' && !document.querySelector('#send').disabled;
    },
    null,
    { timeout: SLOW },
  );
  assert.ok((await answer.textContent()).trim().length > 0);
  await shot('chat');
});

test('the plugins page lists the inventory with states', async () => {
  await page.goto(server.base + '/ui/#/plugins');
  await page.locator('tr[data-plugin="dev.osprey.webui"]').waitFor();
  assert.match(await page.locator('tr[data-plugin="dev.osprey.jobs"] .state').textContent(), /active/);
  const faulty = process.env.OSPREY_FAULTY_PLUGIN; // a plugin in plugins/ that fails to start, when the caller put one there
  if (faulty) {
    const row = page.locator(`tr[data-plugin="${faulty}"]`);
    assert.notEqual(await row.locator('.state').textContent(), 'active');
    assert.match(await row.locator('.problems').textContent(), /refuses to start/);
    assert.equal(await page.locator('table.plugins tbody tr').first().getAttribute('data-plugin'), faulty, 'failures come first');
  }
  await shot('plugins');
});
