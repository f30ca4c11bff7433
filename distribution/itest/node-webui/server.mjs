// A fresh `bin/osprey deploy` of OSPREY_HOME serving OSPREY_MODEL with an API key, on a free port of
// 127.0.0.1; the web UI is at /ui/ on the same server, over its job service and OpenAI API.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function healthy(base, deadlineMs, route) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      const r = await fetch(base + route);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${base}${route} did not answer 200 within ${deadlineMs / 1000} s`);
}

/**
 * @param options.model the model folder (default OSPREY_MODEL, else the demo's tiny-chat)
 * @param options.name its served name (default tiny-chat)
 * @param options.args more `osprey deploy` options, such as --enable_admin
 * @param options.command 'serve' for `osprey serve` (no model served; the server is up when /ui/ answers)
 */
export async function startServer(options = {}) {
  const home = process.env.OSPREY_HOME;
  const model = options.model ?? process.env.OSPREY_MODEL ?? (home && path.join(home, 'demo', 'tiny-chat'));
  if (!home) throw new Error('set OSPREY_HOME (an Osprey home with bin/osprey and demo/)');
  const apiKey = 'sk-webui-itest';
  const port = await freePort();
  const serve = options.command === 'serve'; // `osprey serve`: no model until the web UI serves one
  const args = serve
    ? ['serve', '--port', String(port), '--api_key', apiKey, ...(options.args ?? [])]
    : ['deploy', '--model', model, '--port', String(port), '--api_key', apiKey, '--served_model_name', options.name ?? 'tiny-chat', ...(options.args ?? [])];
  const child = spawn(path.join(home, 'bin', 'osprey'), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([
    healthy(base, 300_000, serve ? '/ui/' : '/health'),
    exited.then((e) => {
      throw new Error(`osprey ${args[0]} exited early: ${JSON.stringify(e)}`);
    }),
  ]);
  return {
    base,
    apiKey,
    stop: async () => {
      child.kill('SIGTERM');
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('osprey deploy did not stop within 30 s of SIGTERM')), 30_000));
      return Promise.race([exited, timeout]);
    },
  };
}
