// Where the tests find the server: OSPREY_BASE_URL (a server already running), or a fresh
// `bin/osprey deploy` from OSPREY_HOME for OSPREY_MODEL, stopped with SIGTERM when the tests end.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function healthy(base, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      const r = await fetch(base + '/health');
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${base}/health did not answer 200 within ${deadlineMs / 1000} s`);
}

// options: { model, args, agentTemplate }: another model folder than OSPREY_MODEL, more `osprey deploy` options,
// and the agent template (default hermes; null for the model's own template alone)
export async function startServer(options = {}) {
  const apiKey = process.env.OSPREY_API_KEY ?? 'sk-node-itest';
  if (process.env.OSPREY_BASE_URL && !options.model) {
    return { base: process.env.OSPREY_BASE_URL.replace(/\/$/, ''), apiKey, stop: async () => {} };
  }
  const home = process.env.OSPREY_HOME;
  const model = options.model ?? process.env.OSPREY_MODEL;
  if (!home || !model) {
    throw new Error('set OSPREY_BASE_URL, or OSPREY_HOME (the unpacked distribution) and OSPREY_MODEL (a model folder)');
  }
  const port = await freePort();
  const args = ['deploy', '--model', model, '--port', String(port), '--api_key', apiKey,
    '--infer_backend', process.env.OSPREY_BACKEND ?? 'djl', '--served_model_name', 'osprey-itest',
    // tools written and read back as Hermes (<tool_call>): the demo model's own template has no tool syntax
    ...(options.agentTemplate === null ? [] : ['--agent_template', options.agentTemplate ?? 'hermes']),
    ...(options.args ?? [])];
  const child = spawn(path.join(home, 'bin', 'osprey'), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([healthy(base, 300_000), exited.then((e) => { throw new Error(`osprey deploy exited early: ${JSON.stringify(e)}`); })]);
  return {
    base, apiKey, stop: async () => {
      child.kill('SIGTERM');
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('osprey deploy did not stop within 30 s of SIGTERM')), 30_000));
      return Promise.race([exited, timeout]);
    },
  };
}
