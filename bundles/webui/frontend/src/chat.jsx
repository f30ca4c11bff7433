import { useEffect, useRef, useState } from 'preact/hooks';
import { get, streamEvents } from './api.js';

/** Talks to the served model through /v1/chat/completions, streaming the answer as it is generated. */
export function ChatPage() {
  const [models, setModels] = useState(null);
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('0');
  const [topP, setTopP] = useState('1');
  const [maxTokens, setMaxTokens] = useState('64');
  const [messages, setMessages] = useState([]);
  const [input, setInput] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef(null);

  useEffect(() => {
    get('/v1/models').then(
      (body) => {
        setModels(body.data);
        if (body.data.length) setModel(body.data[0].id);
      },
      (e) =>
        setError(
          e.status === 404
            ? 'No model is served here: start the server with osprey deploy --model DIR (the web UI is at /ui/ there too).'
            : e.message,
        ),
    );
    return () => abort.current?.abort();
  }, []);

  const send = async (e) => {
    e.preventDefault();
    if (!input.trim() || busy) return;
    const history = [...messages, { role: 'user', content: input }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setInput('');
    setBusy(true);
    setError(null);
    abort.current = new AbortController();
    const body = {
      model,
      stream: true,
      messages: system.trim() ? [{ role: 'system', content: system }, ...history] : history,
      temperature: Number(temperature),
      top_p: Number(topP),
      max_tokens: Number(maxTokens),
    };
    let answer = '';
    try {
      await streamEvents(
        '/v1/chat/completions',
        body,
        (name, data) => {
          if (data === '[DONE]') return;
          const chunk = JSON.parse(data);
          const delta = chunk.choices?.[0]?.delta;
          if (delta?.content) {
            answer += delta.content;
            setMessages([...history, { role: 'assistant', content: answer }]);
          }
        },
        abort.current.signal,
      );
    } catch (err) {
      if (!abort.current.signal.aborted) setError(err.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="chat">
      <div class="toolbar">
        <h1>Chat</h1>
        <span class="grow" />
        <button onClick={() => setMessages([])} disabled={busy}>
          Clear
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      <div class="chat-layout">
        <aside class="settings">
          <label for="chat-model">model</label>
          <select id="chat-model" value={model} onChange={(e) => setModel(e.target.value)}>
            {(models ?? []).map((m) => (
              <option value={m.id}>{m.id}</option>
            ))}
          </select>
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
          <div class="messages" id="messages">
            {messages.map((m, i) => (
              <div class={`message ${m.role}`} data-index={i}>
                <b>{m.role}</b>
                <p>{m.content || (busy && i === messages.length - 1 ? '…' : '')}</p>
              </div>
            ))}
          </div>
          <form class="composer" onSubmit={send}>
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
