import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, streamEvents } from './api.js';
import { Chart } from './chart.jsx';

const FINAL = ['done', 'failed', 'cancelled', 'interrupted'];

function when(iso) {
  return new Date(iso).toLocaleString();
}

function progressText(job, latest) {
  const p = latest ?? job.progress;
  if (!p) return '';
  const total = p.total_steps > 0 ? `/${p.total_steps}` : '';
  const loss = p.loss != null ? ` · loss ${p.loss.toFixed(4)}` : '';
  return `${p.phase ?? ''} ${p.step}${total}${loss}`;
}

/** Every job the server knows, newest first (GET /api/jobs), refreshed while the page is open. */
export function JobsPage() {
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      get('/api/jobs')
        .then((body) => !stop && (setJobs(body.data), setError(null)))
        .catch((e) => !stop && setError(e.message));
    load();
    const timer = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <section>
      <div class="toolbar">
        <h1>Jobs</h1>
        <a class="button" href="#/train">
          New training
        </a>
      </div>
      {error && <p class="error">{error}</p>}
      {jobs && jobs.length === 0 && <p>No jobs yet: start one on the Train page.</p>}
      {jobs && jobs.length > 0 && (
        <table class="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Method</th>
              <th>State</th>
              <th>Progress</th>
              <th>Submitted</th>
              <th>Output</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr data-job={job.id}>
                <td>
                  <a href={`#/jobs/${job.id}`}>{job.id}</a>
                </td>
                <td>{job.method}</td>
                <td>
                  <span class={`state ${job.state}`}>{job.state}</span>
                </td>
                <td>{progressText(job)}</td>
                <td>{when(job.submitted)}</td>
                <td class="path">{job.output_dir}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function metric(value) {
  return Math.abs(value) >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(3);
}

/** The curves and log lines that a job's events add up to; a step's line every logging_steps, as the CLI prints. */
function summarize(events, loggingSteps) {
  const train = [[], [], []]; // step, loss, eval_loss
  const lr = [[], []];
  const log = [];
  let lastStep = 0;
  let latest = null;
  for (const e of events) {
    if (e.type === 'step') {
      latest = e;
      if (e.phase === 'train') lastStep = e.step;
      const step = e.phase === 'train' ? e.step : lastStep;
      if (e.loss != null || e.eval_loss != null) {
        train[0].push(step);
        train[1].push(e.loss ?? null);
        train[2].push(e.eval_loss ?? null);
      }
      if (e.learning_rate != null) {
        lr[0].push(step);
        lr[1].push(e.learning_rate);
      }
      if (e.eval_loss != null || (e.phase === 'train' && (e.step % loggingSteps === 0 || e.step === e.total_steps))) {
        const values = ['loss', 'eval_loss', 'learning_rate', 'grad_norm']
          .filter((k) => e[k] != null)
          .map((k) => `${k} ${metric(e[k])}`);
        log.push(`${e.phase} ${e.step}/${e.total_steps}: ${values.join(', ')}`);
      }
    } else if (e.type === 'log' && e.text) {
      log.push(e.text);
    } else if (e.type === 'state') {
      log.push(`[${e.state}]${e.text ? ' ' + e.text : ''}`);
    }
  }
  return { train, lr, log: log.slice(-300), latest };
}

function size(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) (bytes /= 1024), i++;
  return `${i ? bytes.toFixed(1) : bytes} ${units[i]}`;
}

/**
 * The checkpoint-N folders of a job's output folder (GET /api/webui/checkpoints), each with Chat with it (the
 * Chat page loads it: a LoRA checkpoint as an adapter, full weights served) and Resume from here.
 */
function Checkpoints({ job, refresh, onResume, busy }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/api/webui/checkpoints?dir=${encodeURIComponent(job.output_dir)}`).then(
      (body) => (setList(body.data), setError(null)),
      (e) => setError(e.message),
    );
  }, [job.output_dir, refresh]);
  const chat = (c) => {
    sessionStorage.setItem('osprey.chatCheckpoint', JSON.stringify({ path: c.path, kind: c.kind }));
    location.hash = '#/chat';
  };
  if (error) return <p class="error">{error}</p>;
  if (!list) return null;
  if (!list.length) return <p class="muted" id="no-checkpoints">No checkpoints in {job.output_dir} yet.</p>;
  return (
    <table class="jobs" id="checkpoints">
      <thead>
        <tr>
          <th>Checkpoint</th>
          <th>Step</th>
          <th>Kind</th>
          <th>Saved</th>
          <th>Size</th>
          <th>Metrics</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {list.map((c) => (
          <tr data-checkpoint={c.path} data-step={c.step}>
            <td class="path">{c.path.split('/').pop()}</td>
            <td>{c.step}</td>
            <td>{c.kind === 'lora' ? 'LoRA adapter' : 'full weights'}</td>
            <td>{when(c.modified)}</td>
            <td>{size(c.size_bytes)}</td>
            <td>
              {Object.entries(c.metrics)
                .map(([k, v]) => `${k} ${metric(v)}`)
                .join(', ') || '—'}
            </td>
            <td>
              <button class="small chat-checkpoint" onClick={() => chat(c)}>
                Chat with it
              </button>{' '}
              <button
                class="small resume-checkpoint"
                disabled={busy || job.kind !== 'training-method'}
                onClick={() => onResume(c.path)}
              >
                Resume from here
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One job: live curves from its event stream, the log tail, cancel and resume. */
export function JobPage({ id }) {
  const [job, setJob] = useState(null);
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const logBox = useRef(null);

  useEffect(() => {
    const abort = new AbortController();
    let buffer = [];
    let pending = false;
    const flush = () => {
      pending = false;
      const batch = buffer;
      buffer = [];
      setEvents((old) => old.concat(batch));
    };
    const follow = async () => {
      let next = 0;
      // the stream ends with the job; reconnect from the next event if the connection drops meanwhile
      while (!abort.signal.aborted) {
        try {
          await streamEvents(
            `/api/jobs/${id}/events?from=${next}`,
            undefined,
            (name, data) => {
              const event = JSON.parse(data);
              next = event.sequence + 1;
              buffer.push(event);
              if (event.type === 'state') get(`/api/jobs/${id}`).then(setJob, () => {});
              if (!pending) {
                pending = true;
                setTimeout(flush, 200);
              }
            },
            abort.signal,
          );
          const now = await get(`/api/jobs/${id}`, abort.signal);
          setJob(now);
          if (FINAL.includes(now.state)) return;
        } catch (e) {
          if (abort.signal.aborted) return;
          setError(e.message);
          if (e.status === 404 || e.status === 401) return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    get(`/api/jobs/${id}`, abort.signal).then(setJob, (e) => setError(e.message));
    follow();
    return () => abort.abort();
  }, [id]);

  useEffect(() => {
    if (logBox.current) logBox.current.scrollTop = logBox.current.scrollHeight;
  }, [events]);

  const { train, lr, log, latest } = summarize(events, Number(job?.arguments?.logging_steps ?? 5) || 5);
  const act = async (action) => {
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => act(async () => setJob(await del(`/api/jobs/${id}`)));
  const resume = (checkpoint = job.last_checkpoint) =>
    act(async () => {
      const arguments_ = { ...job.arguments, resume_from_checkpoint: checkpoint };
      const resumed = await post('/api/jobs', { method: job.method, kind: job.kind, device: job.device, arguments: arguments_ });
      location.hash = `#/jobs/${resumed.id}`;
    });
  if (!job) return error ? <p class="error">{error}</p> : <p>Loading…</p>;
  const running = !FINAL.includes(job.state);
  const canResume = !running && job.state !== 'done' && job.last_checkpoint && job.kind === 'training-method';
  return (
    <section>
      <div class="toolbar">
        <h1>
          {job.method} <span class="muted">{job.id}</span>
        </h1>
        <span id="job-state" class={`state ${job.state}`}>
          {job.state}
        </span>
        <span class="grow" />
        <button id="cancel" onClick={cancel} disabled={!running || busy || job.state === 'cancelling'}>
          Cancel
        </button>
        <button id="resume" onClick={() => resume()} disabled={!canResume || busy}>
          Resume
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {job.failure && <p class="error">{job.failure.message}</p>}
      <dl class="facts">
        <dt>Progress</dt>
        <dd id="progress">{progressText(job, latest) || '—'}</dd>
        {job.arguments.resume_from_checkpoint && (
          <>
            <dt>Resumed from</dt>
            <dd class="path">{job.arguments.resume_from_checkpoint}</dd>
          </>
        )}
        <dt>Output</dt>
        <dd class="path">{job.output_dir}</dd>
        <dt>Last checkpoint</dt>
        <dd class="path" id="last-checkpoint">{job.last_checkpoint ?? '—'}</dd>
        {job.result && (
          <>
            <dt>Result</dt>
            <dd class="path">{job.result}</dd>
          </>
        )}
      </dl>
      <div class="charts">
        <Chart id="loss-chart" title="Loss" labels={['loss', 'eval_loss']} data={train} />
        <Chart id="lr-chart" title="Learning rate" labels={['learning_rate']} data={lr} />
      </div>
      <h2>Checkpoints</h2>
      <Checkpoints job={job} refresh={`${job.state}:${job.last_checkpoint}`} onResume={resume} busy={busy || running} />
      <h2>Log</h2>
      <pre class="log" id="log" ref={logBox}>
        {log.join('\n')}
      </pre>
      <details>
        <summary>Arguments</summary>
        <pre>{JSON.stringify(job.arguments, null, 2)}</pre>
      </details>
    </section>
  );
}
