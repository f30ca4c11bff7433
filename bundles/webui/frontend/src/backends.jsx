import { useEffect, useState } from 'preact/hooks';
import { get, post } from './api.js';

/**
 * The installed inference backends (the inference-backend extensions of the plugin list) with the one serving
 * now (GET /v1/admin/backend) and a switch to another (POST /v1/admin/backend, the admin route that
 * `osprey:backend use NAME` in the shell also takes): the same model and settings on the other backend, with
 * requests in flight finished on the old one.
 */
export function BackendsPanel({ plugins }) {
  const [current, setCurrent] = useState(null);
  const [note, setNote] = useState(null); // why there is no current backend
  const [switching, setSwitching] = useState(null);
  const [error, setError] = useState(null);
  const backends = plugins.flatMap((p) =>
    p.extensions.filter((e) => e.kind === 'inference-backend').map((e) => ({ ...e, plugin: p.name, state: p.state })),
  );

  const loadCurrent = () =>
    get('/v1/admin/backend').then(
      (body) => {
        setCurrent(body.backend);
        setNote(null);
      },
      (e) =>
        setNote(
          e.status === 404
            ? 'no model is served here: start the server with osprey deploy --model DIR to switch backends'
            : e.message,
        ),
    );
  useEffect(() => {
    loadCurrent();
  }, []);

  const use = async (name) => {
    setSwitching(name);
    setError(null);
    try {
      const body = await post('/v1/admin/backend', { backend: name });
      setCurrent(body.backend);
    } catch (e) {
      setError(`could not switch to ${name}: ${e.message}`);
    } finally {
      setSwitching(null);
    }
  };

  return (
    <section id="backends">
      <h2>
        Inference backends{' '}
        <span class="muted" id="current-backend">
          {current ? `serving on ${current}` : note ?? '…'}
        </span>
      </h2>
      {error && (
        <p class="error" id="backend-error">
          {error}
        </p>
      )}
      <table class="backends">
        <thead>
          <tr>
            <th>Backend</th>
            <th>Description</th>
            <th>Plugin</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {backends.map((b) => (
            <tr data-backend={b.name} class={b.name === current ? 'current' : ''}>
              <td>
                <b>{b.name}</b>
              </td>
              <td>{b.description}</td>
              <td class="path">{b.plugin}</td>
              <td>
                {b.name === current ? (
                  <span class="state active">serving</span>
                ) : (
                  <button class="small use-backend" disabled={!current || switching !== null} onClick={() => use(b.name)}>
                    {switching === b.name ? 'Switching…' : 'Serve with this'}
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
