import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post } from './api.js';

/** The arguments shown first; the rest are under "All arguments". */
const MAIN = ['model', 'dataset', 'train_type', 'output_dir', 'num_train_epochs', 'max_steps', 'learning_rate'];

/** A value as the shell takes it. */
function quote(value) {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function asText(value) {
  return Array.isArray(value) ? value.join(' ') : value == null ? '' : String(value);
}

/** The values the job gets: those set in the form that differ from the method's defaults, lists split. */
function chosen(specs, values) {
  const out = {};
  for (const spec of specs) {
    const text = (values[spec.name] ?? '').trim();
    if (text === '' || text === spec.default.join(' ')) continue;
    out[spec.name] = spec.type === 'list' ? text.split(/\s+/) : text;
  }
  return out;
}

function Field({ spec, value, error, onChange }) {
  const id = `arg-${spec.name}`;
  // an output folder left empty is the job's own (work/jobs/ID/output on the server), not the CLI's default
  const def = spec.name === 'output_dir' ? 'the job\'s own folder' : spec.default.join(' ');
  let input;
  if (spec.choices.length > 0 || spec.type === 'boolean') {
    const choices = spec.type === 'boolean' ? ['true', 'false'] : spec.choices;
    input = (
      <select id={id} name={spec.name} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{def ? `default (${def})` : 'default'}</option>
        {choices.map((c) => (
          <option value={c}>{c}</option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        id={id}
        name={spec.name}
        value={value}
        placeholder={def}
        inputmode={spec.type === 'integer' || spec.type === 'number' ? 'decimal' : undefined}
        onInput={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div class={`field ${error ? 'invalid' : ''}`}>
      <label for={id} title={spec.aliases.length ? `also --${spec.aliases.join(', --')}` : ''}>
        {spec.name} <span class="type">{spec.type}</span>
      </label>
      {input}
      <small>{spec.help}</small>
      {error && (
        <small class="error" data-error-for={spec.name}>
          {error}
        </small>
      )}
    </div>
  );
}

/**
 * The SFT form, generated from the method's own argument descriptions (GET /api/webui/methods/sft), filled
 * with the built-in demo's values; checked by the method's validate as values change; shows the equivalent
 * `osprey sft` command; launches the job through POST /api/jobs.
 */
export function TrainPage() {
  const method = 'sft';
  const [form, setForm] = useState(null);
  const [values, setValues] = useState({});
  const [device, setDevice] = useState('cpu');
  const [check, setCheck] = useState({ valid: true });
  const [filter, setFilter] = useState('');
  const [error, setError] = useState(null);
  const [launching, setLaunching] = useState(false);

  useEffect(() => {
    get(`/api/webui/methods/${method}`).then(
      (body) => {
        setForm(body);
        const initial = {};
        for (const [name, value] of Object.entries(body.preset ?? {})) initial[name] = asText(value);
        setValues(initial);
      },
      (e) => setError(e.message),
    );
  }, []);

  const args = useMemo(() => (form ? chosen(form.arguments, values) : {}), [form, values]);

  useEffect(() => {
    if (!form) return;
    const timer = setTimeout(() => {
      post(`/api/webui/methods/${method}/validate`, { arguments: args }).then(
        () => setCheck({ valid: true }),
        (e) => setCheck({ valid: false, message: e.message, param: e.param }),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [args]);

  if (error) return <p class="error">{error}</p>;
  if (!form) return <p>Loading…</p>;

  const command = ['osprey', method, ...Object.entries(args).flatMap(([n, v]) => [`--${n}`, ...(Array.isArray(v) ? v : [v]).map(quote)])];
  if (device !== 'cpu') command.push('--device', quote(device));
  const errorFor = (name) => (!check.valid && check.param === `arguments.${name}` ? check.message : null);
  const set = (name) => (value) => setValues((old) => ({ ...old, [name]: value }));
  const main = form.arguments.filter((s) => MAIN.includes(s.name) || (form.preset && s.name in form.preset));
  const rest = form.arguments.filter((s) => !main.includes(s) && (filter === '' || s.name.includes(filter) || s.help.toLowerCase().includes(filter.toLowerCase())));

  const launch = async (e) => {
    e.preventDefault();
    setLaunching(true);
    try {
      const job = await post('/api/jobs', { method, device, arguments: args });
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      setCheck({ valid: false, message: err.message, param: err.param });
    } finally {
      setLaunching(false);
    }
  };

  return (
    <form class="train" onSubmit={launch}>
      <div class="toolbar">
        <h1>Train: {method}</h1>
        <span class="grow" />
        <button type="submit" id="launch" disabled={launching}>
          Launch
        </button>
      </div>
      {form.preset_source && <p class="muted">Filled with the built-in demo ({form.preset_source}); each job writes into its own folder unless output_dir is set.</p>}
      <pre class="command" id="command-preview">{command.join(' ')}</pre>
      {!check.valid && (
        <p class="error" id="validation">
          {check.message}
        </p>
      )}
      <div class="fields">
        <div class="field">
          <label for="device">device</label>
          <input id="device" value={device} onInput={(e) => setDevice(e.target.value)} />
          <small>where the job runs: cpu, cuda:0, ...</small>
        </div>
        {main.map((spec) => (
          <Field spec={spec} value={values[spec.name] ?? ''} error={errorFor(spec.name)} onChange={set(spec.name)} />
        ))}
      </div>
      <details open={rest.some((s) => errorFor(s.name))}>
        <summary>All arguments ({form.arguments.length})</summary>
        <input class="filter" placeholder="filter by name or help" value={filter} onInput={(e) => setFilter(e.target.value)} />
        <div class="fields">
          {rest.map((spec) => (
            <Field spec={spec} value={values[spec.name] ?? ''} error={errorFor(spec.name)} onChange={set(spec.name)} />
          ))}
        </div>
      </details>
    </form>
  );
}
