import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { JobForm } from './jobform.jsx';

/** The installed extensions of one kind ('evaluators' or 'exporters'), or null until known. */
function useInstalled(route) {
  const [names, setNames] = useState(null);
  useEffect(() => {
    get(`/api/webui/${route}`).then((b) => setNames(b.data), () => setNames([]));
  }, []);
  return names;
}

function Picker({ id, label, value, names, onChange }) {
  return (
    <label class="inline">
      {label}{' '}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {names.map((n) => (
          <option value={n}>{n}</option>
        ))}
      </select>
    </label>
  );
}

/** Eval: `osprey eval --eval_dataset NAME`, the evaluator plugin of that name run as a job. */
export function EvalPage() {
  const names = useInstalled('evaluators');
  const [name, setName] = useState('perplexity');
  if (!names) return <p>Loading…</p>;
  if (names.length === 0) return <p class="error">No evaluator is installed (bundle dev.osprey.eval); the Plugins page shows why.</p>;
  const chosen = names.includes(name) ? name : names[0];
  return (
    <JobForm
      key={chosen}
      kind="evaluator"
      name={chosen}
      title="Evaluate"
      header={<Picker id="evaluator" label="eval_dataset" value={chosen} names={names} onChange={setName} />}
      command={() => ['osprey', 'eval', '--eval_dataset', chosen]}
    />
  );
}

/** The `osprey export` option that picks an exporter: --merge_lora true, --to_ollama true or --quant_method NAME. */
function exportCommand(name) {
  if (name === 'merge_lora') return ['osprey', 'export', '--merge_lora', 'true'];
  if (name === 'ollama') return ['osprey', 'export', '--to_ollama', 'true'];
  return ['osprey', 'export', '--quant_method', name];
}

/** Export: the exporter plugin of that name (merge_lora, gguf, gptq, awq, fp8, ollama, ...) run as a job. */
export function ExportPage() {
  const names = useInstalled('exporters');
  const [name, setName] = useState('merge_lora');
  if (!names) return <p>Loading…</p>;
  if (names.length === 0) return <p class="error">No exporter is installed (bundle dev.osprey.export); the Plugins page shows why.</p>;
  const chosen = names.includes(name) ? name : names[0];
  return (
    <JobForm
      key={chosen}
      kind="exporter"
      name={chosen}
      title="Export"
      sections={['quantization']}
      header={<Picker id="exporter" label="exporter" value={chosen} names={names} onChange={setName} />}
      command={() => exportCommand(chosen)}
    />
  );
}
