// The official `openai` npm client's embeddings call against `osprey deploy --task_type embedding` on
// OSPREY_EMBEDDING_MODEL (a bare Qwen3Model, as Qwen3-Embedding ships): floats and the client's default
// base64 decode to the same unit vectors, `dimensions` truncates, and a bad input is the client's BadRequestError.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

const folder = process.env.OSPREY_EMBEDDING_MODEL;
let server;
let client;

before(async () => {
  if (!folder) throw new Error('set OSPREY_EMBEDDING_MODEL to an embedding model folder');
  server = await startServer({ model: folder, args: ['--task_type', 'embedding'] });
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: server.apiKey, maxRetries: 0 });
});

after(async () => {
  const exit = await server?.stop();
  if (exit) assert.ok([0, 143].includes(exit.code) || exit.signal === 'SIGTERM', `osprey deploy stopped with ${JSON.stringify(exit)}`);
});

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

test('embeddings are unit vectors, the same as floats and as the client\'s default base64', async () => {
  const floats = await client.embeddings.create({ model: 'osprey-itest', input: ['hello world', 'a b c'], encoding_format: 'float' });
  assert.equal(floats.object, 'list');
  assert.equal(floats.data.length, 2);
  assert.ok(floats.usage.prompt_tokens > 0);
  for (const d of floats.data) assert.ok(Math.abs(norm(d.embedding) - 1) < 1e-4);
  const decoded = await client.embeddings.create({ model: 'osprey-itest', input: ['hello world', 'a b c'] });
  floats.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - decoded.data[0].embedding[i]) < 1e-6));
  const cut = await client.embeddings.create({ model: 'osprey-itest', input: 'hello world', dimensions: 8, encoding_format: 'float' });
  assert.equal(cut.data[0].embedding.length, 8);
  assert.ok(Math.abs(norm(cut.data[0].embedding) - 1) < 1e-4);
});

test('a bad input is the client\'s BadRequestError naming the field', async () => {
  await assert.rejects(
    client.embeddings.create({ model: 'osprey-itest', input: 'x', dimensions: 100000 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'dimensions');
});
