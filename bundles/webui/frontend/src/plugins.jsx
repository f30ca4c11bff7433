import { useEffect, useRef, useState } from 'preact/hooks';
import { call, del, get } from './api.js';
import { BackendsPanel } from './backends.jsx';

/** The jar file behind a hot-deployed plugin's location (file:/…/plugins/NAME.jar or a plain path). */
const fileOf = (location) => decodeURIComponent(location.replace(/^reference:/, '').split('/').pop());

const failed = (p) => p.problems.length > 0 || p.state === 'FAILED' || p.state === 'NOT_INSTALLED';

/**
 * The plugin inventory (GET /api/plugins): each bundle's state, what it publishes, and why it failed; a jar
 * uploaded here goes into plugins/ (POST /api/plugins), where hot deploy starts it, and the page follows it
 * until it is active or has failed; Remove deletes a hot-deployed plugin's jar (DELETE /api/plugins/FILE).
 */
export function PluginsPage() {
  const [plugins, setPlugins] = useState(null);
  const [error, setError] = useState(null);
  const [jar, setJar] = useState(null);
  const [status, setStatus] = useState(null); // {text, kind: 'busy' | 'ok' | 'error'}
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState(null); // the plugin uploaded last, marked in the list
  const alive = useRef(true);
  const fileInput = useRef(null);

  const load = () =>
    get('/api/plugins').then(
      (body) => {
        // the ones with problems first (what a user opens this page for), then those of plugins/, then the platform's
        const rank = (p) => (failed(p) ? 0 : p.hot_deployed ? 1 : 2);
        const sorted = [...body.plugins].sort((a, b) => rank(a) - rank(b));
        if (alive.current) setPlugins(sorted);
        return sorted;
      },
      (e) => {
        if (alive.current) setError(e.message);
        return null;
      },
    );
  useEffect(() => {
    load();
    return () => (alive.current = false);
  }, []);

  /** Polls the inventory until done(list) says the change settled, for at most a minute. */
  const follow = async (done) => {
    const end = Date.now() + 60_000;
    while (alive.current && Date.now() < end) {
      const list = await load();
      const settled = list && done(list);
      if (settled) return settled;
      await new Promise((r) => setTimeout(r, 500));
    }
    return null;
  };

  const upload = async (e) => {
    e.preventDefault();
    if (!jar) return;
    setBusy(true);
    setStatus({ kind: 'busy', text: `uploading ${jar.name}…` });
    try {
      const put = await call('POST', `/api/plugins?file=${encodeURIComponent(jar.name)}`, jar);
      const what = `${put.name} ${put.version}`;
      setAdded(put.name);
      setStatus({ kind: 'busy', text: `${put.file} is in plugins/: waiting for hot deploy to start ${what}…` });
      // active with its extensions published (DS registers them just after the bundle starts), or failed; a
      // plugin that publishes nothing counts as settled once it has been active for three polls
      let activePolls = 0;
      const row = await follow((list) => {
        const p = list.find((x) => x.name === put.name);
        if (!p) return null;
        if (failed(p) || (p.state === 'ACTIVE' && (p.extensions.length > 0 || ++activePolls >= 3))) return p;
        return null;
      });
      if (!row) setStatus({ kind: 'error', text: `${what} did not start within a minute; see the server's log` });
      else if (failed(row))
        setStatus({ kind: 'error', text: `${what} failed: ${row.problems.join('; ') || row.state.toLowerCase()}` });
      else
        setStatus({
          kind: 'ok',
          text: `${what} is active${row.extensions.length ? `: ${row.extensions.map((x) => `${x.kind}:${x.name}`).join(', ')}` : ''}`,
        });
      setJar(null);
      if (fileInput.current) fileInput.current.value = '';
    } catch (err) {
      setStatus({ kind: 'error', text: err.message });
    } finally {
      setBusy(false);
    }
  };

  const remove = async (p) => {
    const file = fileOf(p.location);
    if (!confirm(`Remove ${p.name} and delete plugins/${file}?`)) return;
    setBusy(true);
    setStatus({ kind: 'busy', text: `removing plugins/${file}…` });
    try {
      await del(`/api/plugins/${encodeURIComponent(file)}`);
      const gone = await follow((list) => !list.some((x) => x.name === p.name) && list);
      setStatus(
        gone
          ? { kind: 'ok', text: `${p.name} is uninstalled and plugins/${file} deleted` }
          : { kind: 'error', text: `plugins/${file} is deleted, but ${p.name} is still installed after a minute` },
      );
    } catch (err) {
      setStatus({ kind: 'error', text: err.message });
    } finally {
      setBusy(false);
    }
  };

  if (error) return <p class="error">{error}</p>;
  if (!plugins) return <p>Loading…</p>;
  return (
    <section>
      <div class="toolbar">
        <h1>Plugins</h1>
        <span class="grow" />
        <button onClick={load}>Refresh</button>
      </div>
      <form class="upload" onSubmit={upload}>
        <label for="plugin-file">Add a plugin (an OSGi bundle jar; it goes into plugins/ and starts at once)</label>
        <input
          id="plugin-file"
          ref={fileInput}
          type="file"
          accept=".jar,application/java-archive"
          onChange={(e) => setJar(e.target.files[0] ?? null)}
        />
        <button type="submit" id="upload-plugin" disabled={!jar || busy}>
          Upload
        </button>
        {status && (
          <span id="plugin-status" class={`status ${status.kind}`} data-kind={status.kind}>
            {status.text}
          </span>
        )}
      </form>
      <BackendsPanel plugins={plugins} />
      <h2>Installed plugins</h2>
      <table class="plugins">
        <thead>
          <tr>
            <th>Plugin</th>
            <th>Version</th>
            <th>State</th>
            <th>Extensions</th>
            <th>Problems</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {plugins.map((p) => (
            <tr data-plugin={p.name} class={p.problems.length ? 'failed' : p.name === added ? 'added' : ''}>
              <td>
                {p.name}
                {p.hot_deployed && <span class="tag">plugins/</span>}
              </td>
              <td>{p.version}</td>
              <td>
                <span class={`state ${p.state.toLowerCase()}`}>{p.state.toLowerCase()}</span>
              </td>
              <td>
                {p.extensions.map((e) => (
                  <span class="ext" title={e.description}>
                    {e.kind}:{e.name}
                  </span>
                ))}
              </td>
              <td class="problems">{p.problems.join('; ')}</td>
              <td>
                {(p.hot_deployed || p.state === 'NOT_INSTALLED') && (
                  <button class="small danger remove" disabled={busy} onClick={() => remove(p)} title={`delete plugins/${fileOf(p.location)}`}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
