// The official `openai` npm client sends pictures to `osprey deploy` serving OSPREY_VISION_MODEL (the vision demo
// after `osprey sft --config demo/vision-sft.yaml`): an image_url part with a data URL, and the answer names the
// colour of the shape in that picture; a part that is not an image is the client's BadRequestError. Skipped when
// OSPREY_VISION_MODEL is not set (VisionDemoTest sets it after training).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

const folder = process.env.OSPREY_VISION_MODEL;
const images = process.env.OSPREY_VISION_IMAGES;
let server;
let client;

before(async () => {
  if (!folder) return;
  server = await startServer({ model: folder, agentTemplate: null });
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: server.apiKey, maxRetries: 0 });
});

after(async () => {
  const exit = await server?.stop();
  if (exit) assert.ok([0, 143].includes(exit.code) || exit.signal === 'SIGTERM', `osprey deploy stopped with ${JSON.stringify(exit)}`);
});

const picture = (name) => 'data:image/png;base64,' + readFileSync(path.join(images, name)).toString('base64');

async function colourOf(name) {
  const reply = await client.chat.completions.create({
    model: 'osprey-itest',
    max_tokens: 3,
    temperature: 0,
    messages: [{
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: picture(name) } },
        { type: 'text', text: 'what colour is the shape ?' },
      ],
    }],
  });
  return reply.choices[0].message.content.trim();
}

test('the answer names the colour of the picture sent', { skip: !folder }, async () => {
  for (const [name, colour] of [['red-circle-0.png', 'red'], ['blue-square-1.png', 'blue'],
    ['yellow-circle-2.png', 'yellow'], ['green-square-2.png', 'green']]) {
    assert.equal(await colourOf(name), colour, name);
  }
});

test('data that is not an image is the client\'s BadRequestError naming it', { skip: !folder }, async () => {
  await assert.rejects(
    client.chat.completions.create({
      model: 'osprey-itest',
      messages: [{ role: 'user', content: [
        { type: 'image_url', image_url: { url: 'data:image/png;base64,' + Buffer.from('not a picture').toString('base64') } },
        { type: 'text', text: 'what colour is the shape ?' }] }],
    }),
    (e) => e instanceof OpenAI.BadRequestError && /image/.test(e.message));
});
