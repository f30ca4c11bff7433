import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, streamEvents } from './api.js';

/** The text of a message's content: a string, or OpenAI's parts (text and image_url). */
const textOf = (content) =>
  typeof content === 'string' ? content : content.filter((p) => p.type === 'text').map((p) => p.text).join('\n');
const imagesOf = (content) =>
  typeof content === 'string' ? [] : content.filter((p) => p.type === 'image_url').map((p) => p.image_url.url);

/** Reads a chosen image as a data: URL, which the server's media loader takes like a path or a URL. */
const dataUrl = (file) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

/** Streams one answer from /v1/chat/completions, calling onText with the answer so far. */
async function streamAnswer(body, onText, signal) {
  let answer = '';
  await streamEvents(
    '/v1/chat/completions',
    body,
    (name, data) => {
      if (data === '[DONE]') return;
      const delta = JSON.parse(data).choices?.[0]?.delta;
      if (delta?.content) {
        answer += delta.content;
        onText(answer);
      }
    },
    signal,
  );
  return answer;
}

function Messages({ id, title, messages, busy }) {
  return (
    <div class="lane">
      {title && <div class="lane-title">{title}</div>}
      <div class="messages" id={id}>
        {messages.map((m, i) => (
          <div class={`message ${m.role}`} data-index={i}>
            <b>{m.role}</b>
            {imagesOf(m.content).map((src) => (
              <img class="attached" src={src} alt="attached image" />
            ))}
            <p>{textOf(m.content) || (busy && i === messages.length - 1 ? '…' : '')}</p>
          </div>
        ))}
      </div>
    </div>
  );
}

/**
 * Talks to the served model through /v1/chat/completions, streaming the answer as it is generated. A
 * conversation is held with one adapter (or the base model), chosen before it starts; Compare sends each
 * prompt to a second one as well and streams both answers side by side. Images attached to a message go as
 * OpenAI image_url parts (data: URLs) to a model that reads images.
 */
export function ChatPage() {
  const [models, setModels] = useState(null);
  const [model, setModel] = useState('');
  const [adapter, setAdapter] = useState('');
  const [compare, setCompare] = useState(false);
  const [other, setOther] = useState('');
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('0');
  const [topP, setTopP] = useState('1');
  const [maxTokens, setMaxTokens] = useState('64');
  const [lanes, setLanes] = useState([[], []]); // the conversation with each target: [primary, compared]
  const [input, setInput] = useState('');
  const [images, setImages] = useState([]); // data: URLs waiting for the next message
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [loadName, setLoadName] = useState('');
  const [loadPath, setLoadPath] = useState('');
  const [loadNote, setLoadNote] = useState(null);
  const abort = useRef(null);
  const imageInput = useRef(null);

  const [served, setServed] = useState(null); // GET /api/serving: what osprey serve serves, null under deploy
  const [choices, setChoices] = useState(null); // the picker's model folders and checkpoints
  const [choice, setChoice] = useState('');
  const [serveNote, setServeNote] = useState(null);

  const loadModels = () =>
    get('/v1/models').then(
      (body) => {
        setError(null);
        setModels(body.data);
        setModel((m) => (m && body.data.some((x) => x.id === m) ? m : body.data.find((x) => !x.parent)?.id || ''));
        return body.data;
      },
      (e) => {
        setModels(null);
        setModel('');
        if (e.status === 404) {
          // nothing served: offer the picker (osprey serve / web-ui), else say how to serve one
          get('/api/webui/models').then(
            (body) =>
              setChoices([...body.local.map((m) => ({ ...m, kind: 'model' })), ...body.adapters.map((m) => ({ ...m, kind: 'lora' }))]),
            () => setChoices([]),
          );
          setError(null);
        } else setError(e.message);
        return null;
      },
    );
  const loadServed = () => get('/api/serving').then(setServed, () => setServed(null));

  /** Waits until the server answers /health (it loads the model meanwhile), or says why it could not serve. */
  const waitServing = async () => {
    for (;;) {
      const response = await fetch('/health');
      if (response.ok) return;
      const text = await response.text();
      if (text.includes('could not serve')) throw new Error(JSON.parse(text)?.error?.message ?? text);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  /** Serves a model folder or checkpoint (POST /api/serving) and opens a conversation with it. */
  const serve = async (path) => {
    setServeNote({ kind: 'ok', text: `loading ${path} …` });
    try {
      const answer = await post('/api/serving', { model: path });
      await waitServing();
      await loadModels();
      await loadServed();
      setChoices(null);
      setModel(answer.model);
      setAdapter(answer.adapter ?? '');
      setLanes([[], []]);
      setServeNote({ kind: 'ok', text: `serving ${answer.adapter ? `${answer.adapter} on ${answer.model}` : answer.model}` });
    } catch (err) {
      setServeNote({ kind: 'error', text: err.message });
    }
  };

  const stopServing = async () => {
    abort.current?.abort();
    try {
      await del('/api/serving');
      setServed({ serving: false });
      setLanes([[], []]);
      setServeNote(null);
      // the server drops the model after the configuration is deleted, a moment later: wait until /v1/models
      // answers 404 (while the servlet is being unregistered a request can fail otherwise, which is not gone yet)
      for (let i = 0; i < 150; i++) {
        const gone = await get('/v1/models').then(
          () => false,
          (e) => e.status === 404,
        );
        if (gone) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await loadModels();
    } catch (err) {
      setError(err.message);
    }
  };

  /** A checkpoint sent from a job's page: a LoRA one is loaded as an adapter of the served model, else served. */
  const openCheckpoint = async (checkpoint, servedModels) => {
    if (checkpoint.kind === 'lora' && servedModels?.length) {
      // the job's folder, output folder and checkpoint: checkpoint-N alone repeats across jobs
      const name = checkpoint.path.split('/').slice(-3).join('-');
      try {
        if (!servedModels.some((m) => m.id === name)) await post('/v1/load_lora_adapter', { lora_name: name, lora_path: checkpoint.path });
        await loadModels();
        setAdapter(name);
        setServeNote({ kind: 'ok', text: `adapter ${name} is loaded` });
      } catch (err) {
        setServeNote({ kind: 'error', text: err.message });
      }
    } else {
      await serve(checkpoint.path);
    }
  };

  useEffect(() => {
    const pending = sessionStorage.getItem('osprey.chatCheckpoint');
    sessionStorage.removeItem('osprey.chatCheckpoint');
    loadServed();
    loadModels().then((data) => pending && openCheckpoint(JSON.parse(pending), data));
    return () => abort.current?.abort();
  }, []);

  const bases = (models ?? []).filter((m) => !m.parent);
  const adapters = (models ?? []).filter((m) => m.parent && (m.parent === model || m.root === model));
  const reads = (id) => (models ?? []).find((m) => m.id === id)?.input_modalities?.includes('image');
  const readsImages = reads(model);
  const started = lanes[0].length > 0;
  const targets = compare ? [adapter || model, other || model] : [adapter || model];
  const label = (id) => (id === model ? `${model} (base)` : id);

  const attach = async (e) => {
    const files = [...e.target.files];
    try {
      const urls = await Promise.all(files.map(dataUrl));
      setImages((list) => [...list, ...urls]);
    } catch (err) {
      setError(`cannot read the image: ${err.message}`);
    }
    e.target.value = '';
  };

  const send = async (e) => {
    e.preventDefault();
    if ((!input.trim() && !images.length) || busy) return;
    const content = images.length
      ? [...(input.trim() ? [{ type: 'text', text: input }] : []), ...images.map((url) => ({ type: 'image_url', image_url: { url } }))]
      : input;
    const histories = targets.map((_, i) => [...lanes[i], { role: 'user', content }]);
    const shown = histories.map((h) => [...h, { role: 'assistant', content: '' }]);
    setLanes(compare ? shown : [shown[0], []]);
    setInput('');
    setImages([]);
    setBusy(true);
    setError(null);
    abort.current = new AbortController();
    const signal = abort.current.signal;
    const update = (i, text) =>
      setLanes((now) => {
        const next = [...now];
        next[i] = [...histories[i], { role: 'assistant', content: text }];
        return next;
      });
    // both answers stream at once: the server batches them together
    const results = await Promise.allSettled(
      targets.map((target, i) =>
        streamAnswer(
          {
            model: target,
            stream: true,
            messages: system.trim() ? [{ role: 'system', content: system }, ...histories[i]] : histories[i],
            temperature: Number(temperature),
            top_p: Number(topP),
            max_tokens: Number(maxTokens),
          },
          (text) => update(i, text),
          signal,
        ),
      ),
    );
    const failed = results.map((r, i) => (r.status === 'rejected' ? `${label(targets[i])}: ${r.reason.message}` : null)).filter(Boolean);
    if (failed.length && !signal.aborted) setError(failed.join('; '));
    setBusy(false);
  };

  const loadAdapter = async (e) => {
    e.preventDefault();
    setLoadNote(null);
    try {
      await post('/v1/load_lora_adapter', { lora_name: loadName.trim(), lora_path: loadPath.trim() });
      await loadModels();
      if (!started) setAdapter(loadName.trim());
      setLoadNote({ kind: 'ok', text: `adapter ${loadName.trim()} is loaded` });
      setLoadName('');
      setLoadPath('');
    } catch (err) {
      setLoadNote({ kind: 'error', text: err.message });
    }
  };

  const targetSelect = (id, value, onChange, disabled) => (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
      <option value="">none (the base model)</option>
      {adapters.map((m) => (
        <option value={m.id}>{m.id}</option>
      ))}
    </select>
  );

  return (
    <section class="chat">
      <div class="toolbar">
        <h1>Chat</h1>
        <span class="muted" id="conversation-target">
          {model && (compare ? `${label(targets[0])} vs ${label(targets[1])}` : label(targets[0]))}
        </span>
        <span class="grow" />
        <button
          id="new-conversation"
          onClick={() => {
            abort.current?.abort();
            setLanes([[], []]);
          }}
          disabled={busy}
        >
          New conversation
        </button>
      </div>
      {error && (
        <p class="error" id="chat-error">
          {error}
        </p>
      )}
      {served?.serving && (
        <p class="muted" id="served-model">
          Serving <span class="path">{served.model}</span> (backend {served.infer_backend}
          {served.adapters?.length ? `, adapters ${served.adapters.join(', ')}` : ''}){' '}
          <button class="small secondary" id="stop-serving" onClick={stopServing} disabled={busy}>
            Stop serving
          </button>
        </p>
      )}
      {!models && choices && (
        <form
          class="settings"
          id="serve-model"
          onSubmit={(e) => {
            e.preventDefault();
            if (choice) serve(choice);
          }}
        >
          <h2>Serve a model</h2>
          {served === null ? (
            <p class="muted">
              No model is served here: start the server with osprey deploy --model DIR, or with osprey serve or osprey web-ui to
              pick one here.
            </p>
          ) : (
            <>
              <label for="serve-choice">model folder or checkpoint</label>
              <select id="serve-choice" value={choice} onChange={(e) => setChoice(e.target.value)}>
                <option value="">choose…</option>
                {choices.map((c) => (
                  <option value={c.path}>
                    {c.path} {c.kind === 'lora' ? '(LoRA adapter)' : c.model_type ? `(${c.model_type})` : ''}
                  </option>
                ))}
              </select>
              <button type="submit" id="serve-button" disabled={!choice || serveNote?.text?.startsWith('loading')}>
                Serve
              </button>
            </>
          )}
        </form>
      )}
      {serveNote && (
        <p id="serve-note" class={serveNote.kind === 'error' ? 'error' : 'muted'}>
          {serveNote.text}
        </p>
      )}
      <div class="chat-layout">
        <aside class="settings">
          <label for="chat-model">model</label>
          <select id="chat-model" value={model} disabled={started} onChange={(e) => setModel(e.target.value)}>
            {bases.map((m) => (
              <option value={m.id}>{m.id}</option>
            ))}
          </select>
          <label for="chat-adapter">adapter (for this conversation)</label>
          {targetSelect('chat-adapter', adapter, setAdapter, started)}
          <label class="check">
            <input id="compare" type="checkbox" checked={compare} disabled={started} onChange={(e) => setCompare(e.target.checked)} />
            compare side by side with
          </label>
          {compare && targetSelect('compare-adapter', other, setOther, started)}
          {started && <small class="muted">New conversation to change the model or adapters.</small>}
          <details id="load-adapter">
            <summary>Load an adapter</summary>
            <form class="settings" onSubmit={loadAdapter}>
              <label for="adapter-name">name</label>
              <input id="adapter-name" value={loadName} onInput={(e) => setLoadName(e.target.value)} placeholder="my-lora" />
              <label for="adapter-path">folder (under the server's adapter_roots)</label>
              <input id="adapter-path" value={loadPath} onInput={(e) => setLoadPath(e.target.value)} placeholder="output/demo-sft/checkpoint-300" />
              <button type="submit" id="load-adapter-button" disabled={!loadName.trim() || !loadPath.trim()}>
                Load
              </button>
              {loadNote && (
                <small id="load-adapter-note" class={loadNote.kind === 'error' ? 'error' : 'muted'}>
                  {loadNote.text}
                </small>
              )}
            </form>
          </details>
          <label for="system-prompt">system prompt</label>
          <textarea id="system-prompt" rows="3" value={system} onInput={(e) => setSystem(e.target.value)} />
          <label for="temperature">temperature</label>
          <input id="temperature" type="number" step="0.1" min="0" value={temperature} onInput={(e) => setTemperature(e.target.value)} />
          <label for="top-p">top_p</label>
          <input id="top-p" type="number" step="0.05" min="0" max="1" value={topP} onInput={(e) => setTopP(e.target.value)} />
          <label for="max-tokens">max_tokens</label>
          <input id="max-tokens" type="number" min="1" value={maxTokens} onInput={(e) => setMaxTokens(e.target.value)} />
        </aside>
        <div class="conversation">
          <div class={compare ? 'lanes compare' : 'lanes'}>
            <Messages id="messages" title={compare && label(targets[0])} messages={lanes[0]} busy={busy} />
            {compare && <Messages id="messages-compare" title={label(targets[1])} messages={lanes[1]} busy={busy} />}
          </div>
          {images.length > 0 && (
            <div class="pending-images" id="pending-images">
              {images.map((src, i) => (
                <span class="pending">
                  <img class="attached" src={src} alt={`image ${i + 1} to send`} />
                  <button class="small link" onClick={() => setImages(images.filter((_, j) => j !== i))} title="remove this image">
                    ×
                  </button>
                </span>
              ))}
            </div>
          )}
          <form class="composer" onSubmit={send}>
            <input ref={imageInput} id="chat-image" type="file" accept="image/*" multiple hidden onChange={attach} />
            <button
              type="button"
              id="attach-image"
              class="secondary"
              disabled={!readsImages || busy}
              title={readsImages ? 'attach an image to the message' : `${model || 'this model'} reads text only`}
              onClick={() => imageInput.current.click()}
            >
              Image…
            </button>
            <textarea
              id="chat-input"
              rows="2"
              placeholder="Ask the model (Enter sends, Shift+Enter for a new line)"
              value={input}
              onInput={(e) => setInput(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) send(e);
              }}
            />
            <button type="submit" id="send" disabled={busy || !model}>
              Send
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}
