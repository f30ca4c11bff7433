import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';

/** The plugin inventory (GET /api/plugins): each bundle's state, what it publishes, and why it failed. */
export function PluginsPage() {
  const [plugins, setPlugins] = useState(null);
  const [error, setError] = useState(null);
  const load = () =>
    get('/api/plugins')
      // the ones with problems first: they are what a user opens this page for
      .then((body) => setPlugins([...body.plugins].sort((a, b) => (b.problems.length > 0) - (a.problems.length > 0))))
      .catch((e) => setError(e.message));
  useEffect(() => {
    load();
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!plugins) return <p>Loading…</p>;
  return (
    <section>
      <div class="toolbar">
        <h1>Plugins</h1>
        <button onClick={load}>Refresh</button>
      </div>
      <table class="plugins">
        <thead>
          <tr>
            <th>Plugin</th>
            <th>Version</th>
            <th>State</th>
            <th>Extensions</th>
            <th>Problems</th>
          </tr>
        </thead>
        <tbody>
          {plugins.map((p) => (
            <tr data-plugin={p.name} class={p.problems.length ? 'failed' : ''}>
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
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
