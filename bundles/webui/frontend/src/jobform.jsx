import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post } from './api.js';

/** The arguments always shown open; the rest sit in their section (ms-swift's web-ui tabs). */
const MAIN = ['model', 'dataset', 'train_type', 'output_dir', 'num_train_epochs', 'max_steps', 'learning_rate'];
/** The sections open by default (others open when they hold a preset value, an error or a filter match). */
const OPEN = ['model', 'dataset', 'hyper-parameters'];
/** What the memory estimate reads: it follows these arguments only. */
const MEMORY = ['model', 'train_type', 'quant_bits', 'lora_rank', 'target_modules', 'per_device_train_batch_size', 'max_length', 'gradient_checkpointing', 'torch_dtype'];
const ROUTES = { 'training-method': 'methods', evaluator: 'evaluators', exporter: 'exporters' };

/** A value as the shell takes it. */
export function quote(value) {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function asText(value) {
  return Array.isArray(value) ? value.join(' ') : value == null ? '' : String(value);
}

/** The values the job gets: those set in the form that differ from the extension's defaults, lists split. */
function chosen(specs, values) {
  const out = {};
  for (const spec of specs) {
    const text = (values[spec.name] ?? '').trim();
    if (text === '' || text === spec.default.join(' ')) continue;
    out[spec.name] = spec.type === 'list' ? text.split(/\s+/) : text;
  }
  return out;
}

function bytes(n) {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

function Field({ spec, value, error, onChange, pickers }) {
  const id = `arg-${spec.name}`;
  // an output folder left empty is the job's own (work/jobs/ID/output on the server), not the CLI's default
  const def = spec.name === 'output_dir' ? "the job's own folder" : spec.default.join(' ');
  let input;
  if (spec.type === 'list' && spec.choices.length > 0) {
    // several of a known set (GRPO's reward functions): a multiple select
    const selected = value.split(/\s+/).filter(Boolean);
    input = (
      <select id={id} name={spec.name} multiple size={Math.min(5, spec.choices.length)} onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value).join(' '))}>
        {spec.choices.map((c) => (
          <option value={c} selected={selected.includes(c)}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (spec.choices.length > 0 || spec.type === 'boolean') {
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
        list={pickers[spec.name]}
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

/** The model and dataset pickers: the registry and the folders and files found under the Osprey home. */
function Pickers({ onPick }) {
  const [models, setModels] = useState(null);
  const [datasets, setDatasets] = useState([]);
  useEffect(() => {
    get('/api/webui/models').then(setModels, () => setModels({ registry: [], local: [], adapters: [] }));
    get('/api/webui/datasets').then((b) => setDatasets(b.data), () => {});
  }, []);
  if (!models) return null;
  return (
    <div class="pickers">
      <datalist id="models-list">
        {models.local.map((m) => (
          <option value={m.path}>{m.model_type}</option>
        ))}
        {models.registry.map((m) => (
          <option value={m.id}>{m.model_type}</option>
        ))}
      </datalist>
      <datalist id="datasets-list">
        {datasets.map((d) => (
          <option value={d} />
        ))}
      </datalist>
      <label>
        model{' '}
        <select id="model-picker" value="" onChange={(e) => e.target.value && onPick('model', e.target.value)}>
          <option value="">pick a model…</option>
          <optgroup label="Local folders">
            {models.local.map((m) => (
              <option value={m.path}>{`${m.path} (${m.model_type})`}</option>
            ))}
          </optgroup>
          <optgroup label={`Registry (${models.registry.length})`}>
            {models.registry.map((m) => (
              <option value={m.id}>{`${m.id} · ${m.model_type}${m.tags.length ? ' · ' + m.tags.join(',') : ''}`}</option>
            ))}
          </optgroup>
        </select>
      </label>
      <label>
        dataset{' '}
        <select id="dataset-picker" value="" onChange={(e) => e.target.value && onPick('dataset', e.target.value)}>
          <option value="">pick a dataset…</option>
          {datasets.map((d) => (
            <option value={d}>{d}</option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** The first rows as training sees them: rendered by the template, trained tokens highlighted. */
function DatasetPreview({ preview }) {
  if (preview.error) return <p class="error" id="dataset-preview-error">{preview.error}</p>;
  return (
    <div id="dataset-preview" class="preview">
      <p class="muted">
        {preview.rows.length} of {preview.rows_total} rows of {preview.dataset}, template <b>{preview.template}</b> (chosen by {preview.template_origin}), loss on{' '}
        {preview.loss_scope}: <span class="trained">highlighted tokens are trained</span>, the rest is context.
      </p>
      {preview.rows.map((row) => (
        <div class="preview-row" data-row={row.index}>
          <small class="muted">
            row {row.index + 1}: {row.tokens} tokens, {row.trained_tokens} trained{row.truncated ? ', cut at max_length' : ''}
          </small>
          <pre>
            {row.spans.map((s) => (
              <span class={s.trained ? 'trained' : 'context'}>{s.text}</span>
            ))}
          </pre>
        </div>
      ))}
    </div>
  );
}

function MemoryPanel({ estimate }) {
  if (!estimate) return null;
  if (estimate.error) return <p class="muted" id="memory-estimate">Memory estimate: {estimate.error}</p>;
  return (
    <p class="memory" id="memory-estimate" data-total={estimate.total_bytes}>
      <b>Memory estimate: about {bytes(estimate.total_bytes)}</b> — weights {bytes(estimate.weights_bytes)}
      {estimate.adapters_bytes > 0 && `, LoRA ${bytes(estimate.adapters_bytes)}`}, gradients {bytes(estimate.gradients_bytes)}, AdamW state{' '}
      {bytes(estimate.optimizer_bytes)}, activations {bytes(estimate.activations_bytes)}; {estimate.parameters.toLocaleString('en')} parameters (
      {estimate.parameters_from}), {estimate.trainable.toLocaleString('en')} trained.{' '}
      <span class="muted">An estimate from config.json, not a measurement (formula: docs/webui.md).</span>
    </p>
  );
}

/**
 * A job form generated from the extension's own argument descriptions (GET /api/webui/{methods,evaluators,
 * exporters}/NAME), grouped in ms-swift's web-ui sections; checked as values change (the extension's validate);
 * shows the equivalent command; launches the job through POST /api/jobs.
 *
 * kind: 'training-method' | 'evaluator' | 'exporter'; name: the extension; title: the page's heading;
 * command(args): the command line words before the arguments; jobArguments(args): what the job gets;
 * header: extra controls (the method's select); sections: the sections open by default besides model/dataset.
 */
export function JobForm({ kind, name, title, command, jobArguments = (a) => a, header, sections = [], extra = {}, yaml = false, onLoaded }) {
  const [form, setForm] = useState(null);
  const [values, setValues] = useState({});
  const [device, setDevice] = useState('cpu');
  const [check, setCheck] = useState({ valid: true });
  const [filter, setFilter] = useState('');
  const [error, setError] = useState(null);
  const [launching, setLaunching] = useState(false);
  const [preview, setPreview] = useState(null);
  const [yamlText, setYamlText] = useState('');
  const [yamlNote, setYamlNote] = useState(null);
  const [memory, setMemory] = useState(null);
  const route = `/api/webui/${ROUTES[kind]}/${name}`;
  const training = kind === 'training-method';

  useEffect(() => {
    get(route).then(
      (body) => {
        setForm(body);
        setValues((old) => {
          const initial = {};
          for (const [n, value] of Object.entries(body.preset ?? {})) initial[n] = asText(value);
          // what the user typed survives a change of method (dpo to kto keeps the model and dataset)
          return { ...initial, ...old };
        });
      },
      (e) => setError(e.message),
    );
  }, [route]);

  const args = useMemo(() => ({ ...(form ? chosen(form.arguments, values) : {}), ...extra }), [form, values, JSON.stringify(extra)]);

  useEffect(() => {
    if (!form) return;
    // only the answer for the values now in the form counts: an earlier, slower answer must not overwrite it
    let current = true;
    const timer = setTimeout(() => {
      post(`${route}/validate`, { arguments: jobArguments(args) }).then(
        () => current && setCheck({ valid: true }),
        (e) => current && setCheck({ valid: false, message: e.message, param: e.param }),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [args, form]);

  const memoryKey = JSON.stringify(MEMORY.map((n) => args[n]));
  useEffect(() => {
    if (!form || !training || !args.model) return;
    let current = true;
    const timer = setTimeout(() => {
      post('/api/webui/memory-estimate', { method: name, arguments: jobArguments(args) }).then(
        (m) => current && setMemory(m),
        (e) => current && setMemory({ error: e.message }),
      );
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [memoryKey, form]);

  if (error) return <p class="error">{error}</p>;
  if (!form) return <p>Loading…</p>;

  const words = [...command(args), ...Object.entries(jobArguments(args)).flatMap(([n, v]) => [`--${n}`, ...(Array.isArray(v) ? v : [v]).map(quote)])];
  if (device !== 'cpu') words.push('--device', quote(device));
  const errorFor = (n) => (!check.valid && check.param === `arguments.${n}` ? check.message : null);
  const set = (n) => (value) => setValues((old) => ({ ...old, [n]: value }));
  const matches = (s) => filter === '' || s.name.includes(filter) || s.help.toLowerCase().includes(filter.toLowerCase());
  // the device field above is the job's device (as `--device` is on the command line): not shown twice
  const visible = form.arguments.filter((s) => !(s.name in extra) && s.name !== 'device');
  const pickers = { model: 'models-list', ref_model: 'models-list', reward_model: 'models-list', dataset: 'datasets-list', val_dataset: 'datasets-list' };

  const launch = async (e) => {
    e.preventDefault();
    setLaunching(true);
    try {
      const job = await post('/api/jobs', { method: name, kind, device, arguments: jobArguments(args) });
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      setCheck({ valid: false, message: err.message, param: err.param });
    } finally {
      setLaunching(false);
    }
  };

  const showPreview = async () => {
    setPreview(null);
    try {
      setPreview(await post('/api/webui/dataset-preview', { arguments: args, rows: 3 }));
    } catch (err) {
      setPreview({ error: err.message });
    }
  };

  const saveYaml = async () => {
    try {
      const body = await post(`${route}/yaml`, { arguments: args, command: command(args).slice(0, 2).join(' ') });
      setYamlText(body.yaml);
      setYamlNote('saved');
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([body.yaml], { type: 'application/yaml' }));
      link.download = `osprey-${name}.yaml`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (err) {
      setYamlNote(err.message);
    }
  };

  const loadYaml = async (text, source) => {
    try {
      const body = await post(`${route}/config`, { yaml: text, source });
      const loaded = {};
      for (const [n, value] of Object.entries(body.arguments)) loaded[n] = asText(value);
      setValues(loaded);
      setYamlNote(`loaded ${Object.keys(loaded).length} arguments from ${source}`);
      onLoaded?.(loaded);
    } catch (err) {
      setYamlNote(err.message);
    }
  };

  const open = [...OPEN, ...sections];
  return (
    <form class="train" onSubmit={launch}>
      <div class="toolbar">
        <h1>{title}</h1>
        {header}
        <span class="grow" />
        {training && (
          <button type="button" class="secondary" id="preview-dataset" onClick={showPreview}>
            Preview dataset
          </button>
        )}
        {yaml && (
          <button type="button" class="secondary" id="save-yaml" onClick={saveYaml}>
            Save YAML
          </button>
        )}
        <button type="submit" id="launch" disabled={launching}>
          Launch
        </button>
      </div>
      {form.description && <p class="muted">{form.description}</p>}
      {form.preset_source && <p class="muted">Filled with the built-in demo ({form.preset_source}); each job writes into its own folder unless output_dir is set.</p>}
      <pre class="command" id="command-preview">{words.join(' ')}</pre>
      {!check.valid && (
        <p class="error" id="validation">
          {check.message}
        </p>
      )}
      {training && <MemoryPanel estimate={memory} />}
      <Pickers onPick={(n, v) => set(n)(v)} />
      {preview && <DatasetPreview preview={preview} />}
      {yaml && (
        <details class="yaml" open={yamlText !== ''}>
          <summary>YAML ({command(args).slice(0, 2).join(' ')} --config FILE)</summary>
          <textarea id="yaml" rows={8} value={yamlText} onInput={(e) => setYamlText(e.target.value)} />
          <div class="toolbar">
            <button type="button" class="secondary" id="load-yaml" onClick={() => loadYaml(yamlText, 'the YAML above')}>
              Load YAML
            </button>
            <input type="file" id="yaml-file" accept=".yaml,.yml,.json" onChange={async (e) => e.target.files[0] && loadYaml(await e.target.files[0].text(), e.target.files[0].name)} />
            {yamlNote && <span id="yaml-note" class="muted">{yamlNote}</span>}
          </div>
        </details>
      )}
      <input class="filter" placeholder="filter arguments by name or help" value={filter} onInput={(e) => setFilter(e.target.value)} />
      <div class="field device">
        <label for="device">device</label>
        <input id="device" value={device} onInput={(e) => setDevice(e.target.value)} />
        <small>where the job runs: cpu, cuda:0, ...</small>
      </div>
      {form.groups.map((group) => {
        const specs = visible.filter((s) => s.group === group && matches(s));
        if (specs.length === 0) return null;
        const opened = filter !== '' || open.includes(group) || specs.some((s) => MAIN.includes(s.name) || (form.preset && s.name in form.preset) || errorFor(s.name));
        return (
          <details class="section" data-section={group} open={opened}>
            <summary>
              {group} <span class="muted">({specs.length})</span>
            </summary>
            <div class="fields">
              {specs.map((spec) => (
                <Field spec={spec} value={values[spec.name] ?? ''} error={errorFor(spec.name)} onChange={set(spec.name)} pickers={pickers} />
              ))}
            </div>
          </details>
        );
      })}
    </form>
  );
}
