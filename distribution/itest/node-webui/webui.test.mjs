// Osprey's web UI in a real browser: Debian's Chromium (no browser download) driven by playwright-core,
// against `osprey deploy` with an API key. Launches the demo SFT from the Train form, watches its loss curve
// grow from the job's event stream, cancels and resumes it, lists its checkpoints (Chat with it loads one as an
// adapter), chats with the served model (with the job's
// checkpoint loaded as an adapter for the conversation, compared side by side with the base model, and with an
// image on the demo's vision model; under `osprey serve` the Chat page serves the demo model itself), uploads and
// removes the example reward plugin, and switches backends; a
// screenshot of each page goes to OSPREY_SCREENSHOTS (docs/webui-*.png in the README).
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
      // what the page showed, for the report
      const file = path.join(tmpdir(), `osprey-webui-failure-${Date.now()}.png`);
      if (await page?.screenshot({ path: file }).then(() => true, () => false)) console.log(`# the page at the failure: ${file}`);
      throw e;
    }
  });
}

let server;
let context;
let page;
let profile;

before(async () => {
  // admin routes on (loading adapters, switching backends), behind the same key; adapters from the jobs' folders
  const jobs = path.join(process.env.OSPREY_HOME, 'work', 'jobs');
  server = await startServer({ args: ['--enable_admin', '--adapter_roots', jobs] });
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
    ['POST', '/api/plugins?file=length-reward.jar'],
    ['DELETE', '/api/plugins/faulty-reward.jar'],
    ['GET', '/v1/admin/backend'],
    ['POST', '/v1/admin/backend'],
    ['POST', '/v1/load_lora_adapter'],
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
let adapterFolder; // the first job's last checkpoint: a LoRA adapter of the served model

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
  adapterFolder = checkpoint;
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

test("the job page lists its output folder's checkpoints, and Chat with it loads one as an adapter", async () => {
  await page.goto(server.base + `/ui/#/jobs/${firstJob}`);
  const row = page.locator(`#checkpoints tr[data-checkpoint="${adapterFolder}"]`);
  await row.waitFor();
  const job = await apiGet(`/api/jobs/${firstJob}`);
  const listed = (await apiGet(`/api/webui/checkpoints?dir=${encodeURIComponent(job.output_dir)}`)).data;
  assert.equal(await page.locator('#checkpoints tbody tr').count(), listed.length);
  const saved = listed.find((c) => c.path === adapterFolder);
  assert.equal(saved.kind, 'lora');
  assert.equal(saved.step, Number(adapterFolder.match(/checkpoint-(\d+)/)[1]));
  assert.ok(saved.size_bytes > 0 && saved.metrics.loss > 0, JSON.stringify(saved));
  assert.match(await row.textContent(), /LoRA adapter/);
  assert.ok(await row.locator('button.resume-checkpoint').isEnabled(), 'a cancelled job resumes from any checkpoint');
  await shot('checkpoints');

  await row.locator('button.chat-checkpoint').click();
  await page.waitForURL(/#\/chat/);
  const name = adapterFolder.split('/').slice(-3).join('-');
  await page.waitForFunction((n) => document.querySelector('#chat-adapter')?.value === n, name, { timeout: SLOW });
  assert.equal((await apiGet('/v1/models')).data.find((m) => m.id === name)?.parent, 'tiny-chat');
  await page.goto(server.base + '/ui/#/jobs'); // the next test opens the Chat page afresh, with the base model
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
  assert.ok(await page.locator('#attach-image').isDisabled(), 'tiny-chat reads text only: no image to attach');
});

/** The answer `on` gives `model` for these messages, greedy, as the page asks for it. */
async function apiAnswer(on, model, messages, maxTokens) {
  const r = await fetch(on.base + '/v1/chat/completions', {
    method: 'POST',
    headers: { Authorization: `Bearer ${on.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, messages, temperature: 0, top_p: 1, max_tokens: maxTokens }),
  });
  assert.equal(r.status, 200, `chat with ${model}`);
  return (await r.json()).choices[0].message.content;
}

/** Until the answers of every lane have ended (they may be empty: a model may stop at once), or an error shows. */
const answered = (tab, lanes) =>
  tab.waitForFunction(
    (ids) =>
      document.querySelector('#chat-error') ||
      (ids.every((id) => document.querySelector(`${id} .message.assistant p`)) && !document.querySelector('#send').disabled),
    lanes,
    { timeout: SLOW },
  );

test('chat loads the trained checkpoint as an adapter, holds the conversation with it and compares it with the base model', async () => {
  await page.goto(server.base + '/ui/#/chat');
  await page.reload(); // a new conversation, not the previous test's
  await page.locator('#chat-model option[value="tiny-chat"]').waitFor({ state: 'attached' });
  await page.locator('#load-adapter summary').click();
  await page.locator('#adapter-name').fill('demo-sft');
  await page.locator('#adapter-path').fill(adapterFolder);
  await page.locator('#load-adapter-button').click();
  await page.locator('#chat-adapter option[value="demo-sft"]').waitFor({ state: 'attached', timeout: SLOW });
  assert.equal(await page.locator('#chat-adapter').inputValue(), 'demo-sft', 'the loaded adapter is chosen for the conversation');
  const served = await apiGet('/v1/models');
  assert.equal(served.data.find((m) => m.id === 'demo-sft')?.parent, 'tiny-chat');

  await page.locator('#compare').check();
  await page.locator('#compare-adapter').selectOption(''); // against the base model
  await page.locator('#max-tokens').fill('12');
  // a question of the demo's data set, with its system prompt: what the adapter was trained on
  const system = 'you are a helpful assistant .';
  const question = 'what is the capital of norway ?';
  await page.locator('#system-prompt').fill(system);
  await page.locator('#chat-input').fill(question);
  await page.locator('#send').click();
  await answered(page, ['#messages', '#messages-compare']);
  assert.equal(await page.locator('#chat-error').count(), 0, await page.locator('#chat-error').textContent().catch(() => ''));
  assert.equal(await page.locator('#conversation-target').textContent(), 'demo-sft vs tiny-chat (base)');
  assert.ok(await page.locator('#chat-adapter').isDisabled(), 'the adapter is fixed for the conversation');
  const withAdapter = await page.locator('#messages .message.assistant p').textContent();
  const base = await page.locator('#messages-compare .message.assistant p').textContent();
  // each lane streamed from its own target: the same greedy answers the API gives each model
  const messages = [
    { role: 'system', content: system },
    { role: 'user', content: question },
  ];
  assert.equal(withAdapter, await apiAnswer(server, 'demo-sft', messages, 12));
  assert.equal(base, await apiAnswer(server, 'tiny-chat', messages, 12));
  console.log(`# adapter: ${JSON.stringify(withAdapter)}; base: ${JSON.stringify(base)}`);
  await shot('chat');

  // a new conversation may pick another adapter
  await page.locator('#new-conversation').click();
  assert.ok(await page.locator('#chat-adapter').isEnabled());
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
});

const REWARD = 'com.example.osprey.length-reward';
const plugins = () => path.join(process.env.OSPREY_HOME, 'plugins');

test('the plugins page uploads the example reward plugin, shows it active, and refuses what is not a plugin', async (t) => {
  const jar = process.env.OSPREY_REWARD_PLUGIN; // examples/reward-plugin's jar
  if (!jar) return t.skip('set OSPREY_REWARD_PLUGIN to the example reward plugin jar');
  await page.goto(server.base + '/ui/#/plugins');
  await page.reload();
  await page.locator('#plugin-file').setInputFiles(jar);
  await page.locator('#upload-plugin').click();
  const status = page.locator('#plugin-status');
  await page.waitForFunction(() => ['ok', 'error'].includes(document.querySelector('#plugin-status')?.dataset.kind), null, { timeout: SLOW });
  assert.equal(await status.getAttribute('data-kind'), 'ok', await status.textContent());
  assert.match(await status.textContent(), /com\.example\.osprey\.length-reward 1\.0\.0 is active: reward:custom_length/);
  assert.equal(await page.locator(`tr[data-plugin="${REWARD}"] .state`).textContent(), 'active');
  assert.ok(readdirSync(plugins()).includes(path.basename(jar)), 'the jar is in plugins/ under its own name');
  const listed = await apiGet('/api/plugins');
  assert.ok(listed.plugins.find((p) => p.name === REWARD).extensions.some((e) => e.kind === 'reward' && e.name === 'custom_length'));
  await shot('plugins');

  // the same jar again: a name clash, said on the page
  await page.locator('#plugin-file').setInputFiles(jar);
  await page.locator('#upload-plugin').click();
  await page.waitForFunction(() => document.querySelector('#plugin-status')?.dataset.kind === 'error');
  assert.match(await status.textContent(), /already there/);

  const upload = (file, body) =>
    fetch(`${server.base}/api/plugins?file=${encodeURIComponent(file)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/java-archive' },
      body,
    }).then(async (r) => ({ status: r.status, error: (await r.json()).error }));
  const notJar = await upload('notes.jar', 'not a plugin');
  assert.equal(notJar.status, 400);
  assert.match(notJar.error.message, /notes\.jar is not a jar/);
  const traversal = await upload('../evil.jar', readFileSync(jar));
  assert.equal(traversal.status, 400);
  assert.equal(traversal.error.param, 'file');
  const renamed = await upload('length-reward-copy.jar', readFileSync(jar));
  assert.equal(renamed.status, 409, 'the same bundle under another file name');
  assert.match(renamed.error.message, /already installed/);
  assert.ok(!existsSync(path.join(process.env.OSPREY_HOME, 'evil.jar')) && !readdirSync(plugins()).includes('notes.jar'));
});

test('the plugins page removes the uploaded plugin: uninstalled, its jar deleted', async (t) => {
  const jar = process.env.OSPREY_REWARD_PLUGIN;
  if (!jar) return t.skip('set OSPREY_REWARD_PLUGIN to the example reward plugin jar');
  await page.goto(server.base + '/ui/#/plugins');
  await page.reload(); // a fresh page: no status of the upload left
  const row = page.locator(`tr[data-plugin="${REWARD}"]`);
  page.once('dialog', (dialog) => dialog.accept());
  await row.locator('button.remove').click();
  await page.waitForFunction(() => ['ok', 'error'].includes(document.querySelector('#plugin-status')?.dataset.kind), null, { timeout: SLOW });
  assert.equal(await page.locator('#plugin-status').getAttribute('data-kind'), 'ok', await page.locator('#plugin-status').textContent());
  assert.equal(await row.count(), 0);
  assert.ok(!readdirSync(plugins()).includes(path.basename(jar)), 'the jar is deleted');
  assert.ok(!(await apiGet('/api/plugins')).plugins.some((p) => p.name === REWARD), 'and the bundle uninstalled');
});

test('the backends are listed with the serving one, and a switch that cannot serve says why', async () => {
  await page.goto(server.base + '/ui/#/plugins');
  await page.reload();
  await page.locator('#backends tr[data-backend="djl"] .state').waitFor();
  assert.equal(await page.locator('#current-backend').textContent(), 'serving on djl');
  await page.locator('#backends tr[data-backend="remote"] button.use-backend').click();
  await page.locator('#backend-error').waitFor({ timeout: SLOW });
  assert.match(await page.locator('#backend-error').textContent(), /could not switch to remote: .*base_url/);
  assert.equal(await page.locator('#current-backend').textContent(), 'serving on djl', 'still serving on djl');
  assert.equal((await apiGet('/v1/admin/backend')).backend, 'djl');
});

test('chat sends an attached image to the demo vision model as an image_url part', async () => {
  const home = process.env.OSPREY_HOME;
  const vision = await startServer({ model: path.join(home, 'demo', 'tiny-vl'), name: 'tiny-vl' });
  const tab = await context.newPage();
  try {
    await tab.goto(vision.base + '/ui/#/chat'); // another origin: the page asks for its key
    await tab.locator('#api-key').fill(vision.apiKey);
    await tab.getByRole('button', { name: 'Use key' }).click();
    await tab.locator('#chat-model option[value="tiny-vl"]').waitFor({ state: 'attached' });
    const images = path.join(home, 'demo', 'vision', 'images');
    const image = path.join(images, readdirSync(images).find((f) => f.endsWith('.png')));
    await tab.locator('#attach-image:not([disabled])').waitFor();
    await tab.locator('#chat-image').setInputFiles(image);
    await tab.locator('#pending-images img').waitFor();
    await tab.locator('#max-tokens').fill('8');
    const question = 'What colour is the shape?';
    await tab.locator('#chat-input').fill(question);
    await tab.locator('#send').click();
    await answered(tab, ['#messages']);
    assert.equal(await tab.locator('#chat-error').count(), 0, await tab.locator('#chat-error').textContent().catch(() => ''));
    const sent = await tab.locator('.message.user img.attached').getAttribute('src');
    assert.equal(sent, `data:image/png;base64,${readFileSync(image).toString('base64')}`, 'the image as a data: URL');
    // the page's answer is the model's answer to the text with that image part
    const content = [
      { type: 'text', text: question },
      { type: 'image_url', image_url: { url: sent } },
    ];
    const answer = await tab.locator('.message.assistant p').textContent();
    assert.equal(answer, await apiAnswer(vision, 'tiny-vl', [{ role: 'user', content }], 8));
    console.log(`# tiny-vl on ${path.basename(image)}: ${JSON.stringify(answer)}`);
  } finally {
    await tab.close();
    await vision.stop();
  }
});

test('under osprey serve (no model served) the Chat page serves the demo model and answers as the API does', async () => {
  const served = await startServer({ command: 'serve' });
  const tab = await context.newPage();
  try {
    const r = await fetch(served.base + '/api/serving', { method: 'POST', body: '{}' });
    assert.equal(r.status, 401, 'the serve route needs the key');
    await tab.goto(served.base + '/ui/#/chat');
    await tab.locator('#api-key').fill(served.apiKey);
    await tab.getByRole('button', { name: 'Use key' }).click();
    const demo = path.join(process.env.OSPREY_HOME, 'demo', 'tiny-chat');
    await tab.locator(`#serve-choice option[value="${demo}"]`).waitFor({ state: 'attached' });
    await tab.locator('#serve-choice').selectOption(demo);
    await tab.locator('#serve-button').click();
    await tab.locator('#served-model').waitFor({ timeout: SLOW });
    assert.match(await tab.locator('#served-model').textContent(), /tiny-chat/);
    const model = await tab.locator('#chat-model').inputValue();
    await tab.locator('#max-tokens').fill('10');
    const question = 'what is the capital of norway ?';
    await tab.locator('#chat-input').fill(question);
    await tab.locator('#send').click();
    await answered(tab, ['#messages']);
    assert.equal(await tab.locator('#chat-error').count(), 0, await tab.locator('#chat-error').textContent().catch(() => ''));
    const answer = await tab.locator('.message.assistant p').textContent();
    assert.equal(answer, await apiAnswer(served, model, [{ role: 'user', content: question }], 10));
    console.log(`# served from the page: ${model}: ${JSON.stringify(answer)}`);
    await tab.screenshot({ path: path.join(SHOTS, 'webui-serve.png') });

    // stopping leaves nothing served: the picker is back
    await tab.locator('#stop-serving').click();
    await tab.locator('#serve-model').waitFor();
    const models = await fetch(served.base + '/v1/models', { headers: { Authorization: `Bearer ${served.apiKey}` } });
    assert.equal(models.status, 404);
  } finally {
    await tab.close();
    await served.stop();
  }
});
