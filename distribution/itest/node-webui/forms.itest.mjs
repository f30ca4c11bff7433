// The web UI's job forms in a real browser: Debian's Chromium (no browser download) driven by playwright-core,
// against `osprey deploy` with an API key (run by WebUiFormsBrowserTest, not by `npm test`). Fills the RLHF form for
// DPO on OSPREY_DPO_DATASET, checks the command preview and the method's validation message, previews dataset rows
// with the loss mask, saves and loads the arguments as YAML (the YAML goes to OSPREY_SAVED_YAML for the CLI to run),
// reads the memory estimate, and launches an eval job that then appears on the Jobs page. Screenshots go to
// OSPREY_SCREENSHOTS (docs/webui-train.png, docs/webui-rlhf.png, docs/webui-eval.png in the README).
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.OSPREY_SCREENSHOTS ?? path.resolve('target', 'screenshots');
const HOME = process.env.OSPREY_HOME;
const DPO_DATASET = process.env.OSPREY_DPO_DATASET;
const SAVED_YAML = process.env.OSPREY_SAVED_YAML;
const TINY_CHAT = path.join(HOME ?? '', 'demo', 'tiny-chat');
const QA = path.join(HOME ?? '', 'demo', 'data', 'qa.jsonl');
const SLOW = 240_000; // a job beside the browser on a loaded 2-core machine

// The steps build on each other: after a failure the rest are skipped, not timed out.
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
  assert.ok(HOME && DPO_DATASET && SAVED_YAML, 'set OSPREY_HOME, OSPREY_DPO_DATASET and OSPREY_SAVED_YAML');
  server = await startServer();
  profile = mkdtempSync(path.join(tmpdir(), 'osprey-webui-forms-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // the key as the key dialog stores it (webui.test.mjs types it into the dialog)
  await context.addInitScript((key) => localStorage.setItem('osprey.apiKey', key), server.apiKey);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
});

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `webui-${name}.png`), fullPage: false });
const previewText = () => page.locator('#command-preview').textContent();

async function api(method, route, body) {
  const r = await fetch(server.base + route, {
    method,
    headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

test('the new form routes need the API key', async () => {
  for (const [method, route] of [
    ['GET', '/api/webui/methods/dpo'],
    ['GET', '/api/webui/evaluators'],
    ['GET', '/api/webui/models'],
    ['POST', '/api/webui/dataset-preview'],
    ['POST', '/api/webui/memory-estimate'],
    ['POST', '/api/webui/methods/dpo/yaml'],
  ]) {
    const r = await fetch(server.base + route, { method, body: method === 'POST' ? '{}' : undefined });
    assert.equal(r.status, 401, `${method} ${route} without the key`);
  }
});

test('the Train form: sections as ms-swift groups them, the memory estimate before launch', async () => {
  await page.goto(server.base + '/ui/#/train');
  await page.locator('#command-preview').waitFor();
  assert.match(await previewText(), /^osprey sft --model \S+tiny-chat --dataset \S+qa\.jsonl/);
  for (const section of ['model', 'dataset', 'hyper-parameters', 'lora', 'save']) {
    assert.equal(await page.locator(`details.section[data-section="${section}"]`).count(), 1, `section ${section}`);
  }
  assert.equal(await page.locator('details.section[data-section="lora"] #arg-lora_rank').count(), 1);
  const memory = page.locator('#memory-estimate[data-total]');
  await memory.waitFor();
  assert.match(await memory.textContent(), /estimate/i, 'the UI says it is an estimate');
  // the server's numbers for the demo: 111 168 parameters counted from the checkpoint, LoRA rank 16 on all linears
  const estimate = await api('POST', '/api/webui/memory-estimate', { method: 'sft', arguments: { model: TINY_CHAT, lora_rank: '16' } });
  assert.equal(estimate.status, 200, JSON.stringify(estimate.body));
  assert.equal(estimate.body.parameters, 111_168);
  assert.equal(estimate.body.parameters_from, 'checkpoint');
  assert.equal(estimate.body.trainable, 38_912);
  const before = Number(await memory.getAttribute('data-total'));
  await page.locator('#arg-train_type').selectOption('full');
  await page.waitForFunction((n) => Number(document.querySelector('#memory-estimate')?.dataset.total) > n, before);
  await page.locator('#arg-train_type').selectOption('lora');
  await page.waitForFunction((n) => Number(document.querySelector('#memory-estimate')?.dataset.total) === n, before);
  await shot('train');
});

test('the RLHF form: DPO from the pickers, the command preview, the method’s validation message', async () => {
  await page.goto(server.base + '/ui/#/rlhf');
  await page.locator('#rlhf-type').waitFor();
  const types = await page.locator('#rlhf-type option').allTextContents();
  assert.deepEqual(types, ['dpo', 'kto', 'simpo', 'orpo', 'cpo', 'rm']);
  // the model from the picker's local folders, the dataset from the files found under the home
  await page.locator('#model-picker').selectOption(TINY_CHAT);
  await page.locator('#dataset-picker').selectOption(DPO_DATASET);
  assert.equal(await page.locator('#arg-model').inputValue(), TINY_CHAT);
  const registry = await api('GET', '/api/webui/models');
  assert.ok(registry.body.registry.some((m) => m.id === 'Qwen/Qwen3-0.6B'), 'the registry of `osprey models list`');
  assert.ok(registry.body.local.some((m) => m.path === TINY_CHAT && m.model_type === 'qwen2'));

  await page.locator('#arg-max_steps').fill('2');
  await page.locator('#arg-beta').fill('0.2');
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').includes('--beta 0.2'));
  const command = await previewText();
  assert.ok(command.startsWith(`osprey rlhf --rlhf_type dpo --model ${TINY_CHAT} --dataset ${DPO_DATASET}`), command);
  assert.ok(!command.includes('--rlhf_type dpo --rlhf_type'), 'rlhf_type once');

  // the method's own check, naming the option as `osprey rlhf` does
  await page.locator('#arg-beta').fill('-1');
  const invalid = page.locator('[data-error-for="beta"]');
  await invalid.waitFor();
  assert.match(await invalid.textContent(), /--beta must be > 0, was -1/);
  assert.match(await page.locator('#validation').textContent(), /--beta must be > 0/);
  await page.locator('#arg-beta').fill('0.2');
  await invalid.waitFor({ state: 'detached' });

  // another type keeps what was typed
  await page.locator('#rlhf-type').selectOption('kto');
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').startsWith('osprey rlhf --rlhf_type kto --model'));
  await page.locator('#rlhf-type').selectOption('dpo');
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').startsWith('osprey rlhf --rlhf_type dpo --model'));
});

test('the dataset preview renders the first rows with the template, trained tokens highlighted', async () => {
  await page.locator('#preview-dataset').click();
  const rows = page.locator('#dataset-preview .preview-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  const first = rows.first();
  const trained = (await first.locator('.trained').allTextContents()).join('');
  const context = (await first.locator('.context').allTextContents()).join('');
  // the chosen answer of the first row is trained; the question and the template's markup are context
  assert.match(trained, /the capital of norway is oslo/);
  assert.match(context, /what is the capital of norway/);
  assert.doesNotMatch(trained, /what is the capital of norway/);
  assert.match(context, /<\|im_start\|>/, 'rendered by the chat template, special tokens shown');
  const body = await api('POST', '/api/webui/dataset-preview', { arguments: { model: TINY_CHAT, dataset: [DPO_DATASET] }, rows: 1 });
  assert.equal(body.status, 200, JSON.stringify(body.body));
  const row = body.body.rows[0];
  assert.equal(row.spans.filter((s) => s.trained).reduce((n, s) => n + s.tokens, 0), row.trained_tokens);
  assert.ok(row.trained_tokens > 0 && row.trained_tokens < row.tokens);
  await page.locator('#dataset-preview').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('rlhf');
});

test('the arguments save as the YAML `osprey rlhf --config` reads, and load back', async () => {
  await page.locator('#save-yaml').click();
  const yaml = page.locator('#yaml');
  await page.waitForFunction(() => document.querySelector('#yaml')?.value.includes('rlhf_type: dpo'));
  const saved = await yaml.inputValue();
  assert.match(saved, /^# osprey rlhf --config THIS_FILE/);
  assert.match(saved, /\nbeta: 0\.2\n/);
  assert.match(saved, /\nmax_steps: 2\n/);
  assert.ok(saved.includes(`dataset:\n- ${DPO_DATASET}`), saved);
  writeFileSync(SAVED_YAML, saved);

  await page.locator('#arg-beta').fill('0.5');
  await page.locator('#arg-max_steps').fill('7');
  await page.locator('#load-yaml').click();
  await page.waitForFunction(() => document.querySelector('#arg-beta').value === '0.2');
  assert.equal(await page.locator('#arg-max_steps').inputValue(), '2');
  assert.match(await page.locator('#yaml-note').textContent(), /loaded \d+ arguments/);

  // a name no argument has is refused with its line, as the config loader does
  await yaml.fill('model: x\nbetta: 0.1\n');
  await page.locator('#load-yaml').click();
  await page.waitForFunction(() => document.querySelector('#yaml-note')?.textContent.includes("unknown argument 'betta'"));
  assert.match(await page.locator('#yaml-note').textContent(), /line 2/);
  assert.equal(await page.locator('#arg-beta').inputValue(), '0.2', 'a refused file changes nothing');
});

test('the GRPO form offers the installed reward plugins', async () => {
  await page.goto(server.base + '/ui/#/grpo');
  await page.locator('#arg-reward_funcs').waitFor();
  const rewards = await page.locator('#arg-reward_funcs option').allTextContents();
  for (const name of ['accuracy', 'format']) assert.ok(rewards.includes(name), `${name} in ${rewards}`);
  await page.locator('#arg-reward_funcs').selectOption(['accuracy', 'format']);
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').includes('--reward_funcs accuracy format'));
  assert.match(await previewText(), /^osprey rlhf --rlhf_type grpo /);
});

test('the Export form is the exporters’ argument model', async () => {
  await page.goto(server.base + '/ui/#/export');
  await page.locator('#exporter').waitFor();
  const exporters = await page.locator('#exporter option').allTextContents();
  assert.ok(exporters.includes('merge_lora') && exporters.includes('gguf'), exporters.join());
  await page.locator('#exporter').selectOption('gguf');
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').startsWith('osprey export --quant_method gguf'));
});

let evalJob;

test('the Eval form launches an evaluator job that appears on the Jobs page', async () => {
  await page.goto(server.base + '/ui/#/eval');
  await page.locator('#evaluator').waitFor();
  await page.locator('#evaluator').selectOption('perplexity');
  await page.locator('#arg-model').waitFor();
  await page.locator('#arg-model').fill(TINY_CHAT);
  await page.locator('#arg-dataset').fill(QA);
  await page.locator('#arg-eval_limit').fill('5');
  await page.waitForFunction(() => (document.querySelector('#command-preview')?.textContent ?? '').includes('--eval_limit 5'));
  assert.equal(await previewText(), `osprey eval --eval_dataset perplexity --model ${TINY_CHAT} --dataset ${QA} --eval_limit 5`);
  await page.locator('#arg-eval_limit').fill('five');
  await page.locator('[data-error-for="eval_limit"]').waitFor();
  await page.locator('#arg-eval_limit').fill('5');
  await page.locator('[data-error-for="eval_limit"]').waitFor({ state: 'detached' });
  await shot('eval');

  await page.locator('#launch').click();
  await page.waitForURL(/#\/jobs\/job-/);
  evalJob = page.url().split('#/jobs/')[1];
  const job = await api('GET', `/api/jobs/${evalJob}`);
  assert.equal(job.body.kind, 'evaluator');
  assert.equal(job.body.method, 'perplexity');
  assert.equal(job.body.arguments.eval_limit, '5');
  const end = Date.now() + SLOW;
  let state;
  while (Date.now() < end) {
    state = (await api('GET', `/api/jobs/${evalJob}`)).body.state;
    if (['done', 'failed', 'cancelled'].includes(state)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.equal(state, 'done');

  await page.goto(server.base + '/ui/#/jobs');
  await page.locator(`table.jobs tr[data-job="${evalJob}"]`).waitFor();
});
