// The tool-calling flow of the official `openai` npm client against `osprey deploy` serving a tiny model that was
// trained to call tools (demo/tiny-tools: made by distribution/demo/make-tools-demo.py and `osprey sft
// --agent_template hermes`; see distribution/demo/README.md). Nothing is forced: with tool_choice auto the model
// itself decides to call, finds the city or the numbers in the question, writes the call's JSON, and answers from
// the tool's result. The cities asked here are trained cities (a closed set of 24 in data/tools.jsonl), the number
// pair is unseen (never in its training rows: digits are copied from the question into the call and from the
// tool's result into the answer), and the tool results (temperature, condition, sum) are new to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

const tinyTools = process.env.OSPREY_TOOLS_MODEL
  ?? (process.env.OSPREY_HOME && path.join(process.env.OSPREY_HOME, 'demo', 'tiny-tools'));
// the distribution ships the model; only a run against no Osprey home (a server started elsewhere) skips
const skip = tinyTools ? false : 'neither OSPREY_TOOLS_MODEL nor OSPREY_HOME is set';

let server;
let client;
let model;

before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(tinyTools, 'model.safetensors')),
    `no model.safetensors in ${tinyTools}: the distribution ships demo/tiny-tools (distribution/demo/README.md)`);
  // the model was trained with --agent_template hermes: it is served with the same one
  server = await startServer({ model: tinyTools, agentTemplate: 'hermes' });
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: server.apiKey, maxRetries: 0 });
  model = (await client.models.list()).data[0].id;
});

after(async () => {
  const exit = await server?.stop();
  if (exit) assert.ok([0, 143].includes(exit.code) || exit.signal === 'SIGTERM', `osprey deploy stopped with ${JSON.stringify(exit)}`);
});

// the tools exactly as the training rows offer them (data/tools.jsonl)
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather', description: 'Get the current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'the city' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'add', description: 'Add two numbers',
      parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    },
  },
];
const greedy = { temperature: 0, max_tokens: 64 };

async function call(question) {
  const messages = [{ role: 'user', content: question }];
  const first = await client.chat.completions.create({ model, messages, tools, ...greedy });
  return { messages, choice: first.choices[0] };
}

// a tool result written as the training rows have it (Python's json.dumps: a space after ':' and ','), not as
// JSON.stringify writes it: a model this small reads `{"result":54}` as something it never saw
const pyJson = (flat) => `{${Object.entries(flat).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;

async function answer(messages, message, result) {
  const [toolCall] = message.tool_calls;
  const followUp = [...messages, message, { role: 'tool', tool_call_id: toolCall.id, content: pyJson(result) }];
  return (await client.chat.completions.create({ model, messages: followUp, tools, ...greedy })).choices[0];
}

test('the model calls get_weather for the city asked, and answers with the tool\'s result', { skip }, async () => {
  for (const city of ['Oslo', 'Tokyo', 'Prague']) { // trained cities
    const { messages, choice } = await call(`What is the weather in ${city}?`);
    assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice));
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls.length, 1);
    const toolCall = choice.message.tool_calls[0];
    assert.match(toolCall.id, /^call_/);
    assert.equal(toolCall.type, 'function');
    assert.equal(toolCall.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(toolCall.function.arguments), { city });

    const final = await answer(messages, choice.message, { temperature: 17, condition: 'rainy' });
    assert.equal(final.finish_reason, 'stop', JSON.stringify(final));
    assert.ok(!final.message.tool_calls?.length, JSON.stringify(final.message));
    assert.equal(final.message.content, `It is rainy and 17 degrees in ${city}.`);
  }
});

test('the model calls add with numbers it never saw (an unseen pair), and answers with the sum the tool gave', { skip }, async () => {
  const { messages, choice } = await call('What is 23 plus 31?');
  assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice));
  const toolCall = choice.message.tool_calls[0];
  assert.equal(toolCall.function.name, 'add');
  assert.deepEqual(JSON.parse(toolCall.function.arguments), { a: 23, b: 31 });

  const final = await answer(messages, choice.message, { result: 54 });
  assert.equal(final.finish_reason, 'stop');
  assert.equal(final.message.content, '23 plus 31 is 54.');
});

test('streamed, the call arrives in delta.tool_calls and the answer in delta.content', { skip }, async () => {
  const messages = [{ role: 'user', content: 'Tell me the weather in Berlin.' }];
  const stream = await client.chat.completions.create({ model, messages, tools, ...greedy, stream: true });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      for (const t of c.delta?.tool_calls ?? []) {
        calls[t.index] ??= { id: t.id, type: t.type, function: { name: t.function?.name, arguments: '' } };
        calls[t.index].function.arguments += t.function?.arguments ?? '';
      }
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, 1);
  assert.match(calls[0].id, /^call_/);
  assert.equal(calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Berlin' });

  const followUp = [...messages, { role: 'assistant', content: null, tool_calls: calls },
    { role: 'tool', tool_call_id: calls[0].id, content: pyJson({ temperature: 9, condition: 'foggy' }) }];
  const answerStream = await client.chat.completions.create({ model, messages: followUp, tools, ...greedy, stream: true });
  let text = '';
  finish = null;
  for await (const chunk of answerStream) {
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      assert.equal(c.delta?.tool_calls, undefined);
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(finish, 'stop');
  assert.equal(text, 'It is foggy and 9 degrees in Berlin.');
});

test('with tool_choice "none" the same question gets words, not a call', { skip }, async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Madrid?' }];
  const r = await client.chat.completions.create({ model, messages, tools, tool_choice: 'none', ...greedy });
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'stop');
  assert.ok(!choice.message.tool_calls || choice.message.tool_calls.length === 0, JSON.stringify(choice.message));
  assert.equal(choice.message.content, 'I cannot look up the weather without a tool.');
});

test('a greeting with tools offered gets an answer, not a call', { skip }, async () => {
  const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], tools, ...greedy });
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(!r.choices[0].message.tool_calls?.length);
  assert.equal(r.choices[0].message.content, 'Hello! How can I help you?');
});
