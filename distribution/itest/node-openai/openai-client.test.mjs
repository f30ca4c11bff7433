// The official `openai` npm client against the Osprey server: chat and text completions, streamed and
// not, the models list, and the errors the client maps to its exception classes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

let server;
let client;
let model;

before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: server.apiKey, maxRetries: 0 });
  const models = await client.models.list();
  model = models.data[0].id;
});

after(async () => {
  const exit = await server?.stop();
  // SIGTERM ends the JVM after its shutdown hooks: exit code 143 (128 + 15), or 0
  if (exit) assert.ok([0, 143].includes(exit.code) || exit.signal === 'SIGTERM', `osprey deploy stopped with ${JSON.stringify(exit)}`);
});

const messages = [{ role: 'user', content: 'hi' }];

test('models list the served model with its context length', async () => {
  const models = await client.models.list();
  assert.equal(models.data[0].object, 'model');
  assert.ok(models.data[0].max_model_len > 0);
});

test('a streamed chat adds up to the same answer as a whole one', async () => {
  const whole = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.choices[0].message.role, 'assistant');
  assert.ok(whole.usage.completion_tokens >= 1 && whole.usage.completion_tokens <= 8);

  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      finish = c.finish_reason ?? finish;
    }
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.ok(['stop', 'length'].includes(finish));
  assert.deepEqual(usage, whole.usage);
});

test('text completions with echo and n', async () => {
  const r = await client.completions.create({ model, prompt: 'Hello', max_tokens: 4, temperature: 0, n: 2, echo: true });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices.length, 2);
  for (const c of r.choices) assert.ok(c.text.startsWith('Hello'));
});

test('the raw stream is SSE ending with [DONE]', async () => {
  const r = await fetch(server.base + '/v1/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
    body: JSON.stringify({ model, prompt: 'Hello', max_tokens: 3, stream: true }),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const body = await r.text();
  assert.ok(body.endsWith('data: [DONE]\n\n'), body);
  for (const event of body.trimEnd().split('\n\n')) assert.match(event, /^data: /);
});

test('errors arrive as the client exception classes', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages }), OpenAI.NotFoundError);
  await assert.rejects(client.chat.completions.create({ model, messages, temperature: -1 }), OpenAI.BadRequestError);
  const wrong = new OpenAI({ baseURL: server.base + '/v1', apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
});

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather', description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];
const forced = { type: 'function', function: { name: 'get_weather' } };

test('the tool-calling flow: tools, a forced call, its result as a tool message, an answer', async () => {
  const ask = [{ role: 'user', content: 'what is two plus two ?' }];
  const first = await client.chat.completions.create({ model, messages: ask, tools, tool_choice: forced, max_tokens: 6, temperature: 0 });
  const choice = first.choices[0];
  assert.equal(choice.message.content, null);
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.match(call.id, /^call_/);
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.equal(typeof call.function.arguments, 'string');
  assert.ok(['tool_calls', 'length'].includes(choice.finish_reason), choice.finish_reason);

  const answer = await client.chat.completions.create({
    model, tools, max_tokens: 6, temperature: 0,
    messages: [...ask, choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }],
  });
  assert.equal(answer.choices[0].message.role, 'assistant');
  assert.equal(typeof answer.choices[0].message.content, 'string');
  // the result is in the prompt: it is longer than the question alone
  assert.ok(answer.usage.prompt_tokens > first.usage.prompt_tokens);
});

test('a streamed tool call arrives in delta.tool_calls, as the whole one', async () => {
  const args = { model, messages, tools, tool_choice: forced, max_tokens: 6, temperature: 0 };
  const whole = (await client.chat.completions.create(args)).choices[0].message.tool_calls[0];
  const stream = await client.chat.completions.create({ ...args, stream: true });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      for (const t of c.delta?.tool_calls ?? []) {
        calls[t.index] ??= { id: t.id, type: t.type, name: t.function?.name, arguments: '' };
        calls[t.index].arguments += t.function?.arguments ?? '';
      }
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(calls.length, 1);
  assert.match(calls[0].id, /^call_/);
  assert.equal(calls[0].type, 'function');
  assert.equal(calls[0].name, 'get_weather');
  assert.equal(calls[0].arguments, whole.function.arguments);
  assert.ok(['tool_calls', 'length'].includes(finish), finish);
});

test('a tool_choice naming a function not in tools is a BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages, tools, tool_choice: { type: 'function', function: { name: 'nope' } } }),
    OpenAI.BadRequestError);
});
