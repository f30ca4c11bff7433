import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { JobForm } from './jobform.jsx';

/** The supervised methods `osprey sft` and `osprey pt` run; every other training method is an alignment one. */
const SUPERVISED = ['sft', 'pt'];
/** The preference methods of `osprey rlhf --rlhf_type`, GRPO having its own page as in ms-swift's web-ui. */
const PREFERENCE = ['dpo', 'kto', 'simpo', 'orpo', 'cpo', 'rm'];

/** The installed training methods, or null until known. */
function useMethods() {
  const [methods, setMethods] = useState(null);
  useEffect(() => {
    get('/api/webui/methods').then((b) => setMethods(b.data), () => setMethods([]));
  }, []);
  return methods;
}

function MethodSelect({ id, value, options, onChange }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      {options.map((m) => (
        <option value={m}>{m}</option>
      ))}
    </select>
  );
}

/** Train: `osprey sft` (or `osprey pt`), filled with the built-in demo. */
export function TrainPage() {
  const methods = useMethods();
  const [method, setMethod] = useState('sft');
  const supervised = (methods ?? ['sft']).filter((m) => SUPERVISED.includes(m));
  return (
    <JobForm
      key={method}
      kind="training-method"
      name={method}
      title="Train"
      yaml
      sections={['lora', 'save']}
      header={<MethodSelect id="method" value={method} options={supervised} onChange={setMethod} />}
      command={() => ['osprey', method]}
    />
  );
}

/** Without its rlhf_type: the method's name says it (as `osprey rlhf` passes it). */
function withoutType(args) {
  const { rlhf_type: _type, ...rest } = args;
  return rest;
}

/** RLHF: `osprey rlhf --rlhf_type dpo|kto|simpo|orpo|cpo|rm`, each the alignment method of that name. */
export function RlhfPage() {
  const methods = useMethods();
  const [type, setType] = useState('dpo');
  if (!methods) return <p>Loading…</p>;
  const installed = PREFERENCE.filter((m) => methods.includes(m));
  if (installed.length === 0) return <p class="error">No alignment method is installed (bundle dev.osprey.align); the Plugins page shows why.</p>;
  return (
    <JobForm
      kind="training-method"
      name={type}
      title="RLHF"
      yaml
      sections={['rlhf', 'lora']}
      extra={{ rlhf_type: type }}
      jobArguments={withoutType}
      onLoaded={(loaded) => loaded.rlhf_type && installed.includes(loaded.rlhf_type) && setType(loaded.rlhf_type)}
      header={
        <label class="inline">
          rlhf_type <MethodSelect id="rlhf-type" value={type} options={installed} onChange={setType} />
        </label>
      }
      command={() => ['osprey', 'rlhf', '--rlhf_type', type]}
    />
  );
}

/** GRPO: `osprey rlhf --rlhf_type grpo`, its reward functions picked from the installed reward plugins. */
export function GrpoPage() {
  return (
    <JobForm
      kind="training-method"
      name="grpo"
      title="GRPO"
      yaml
      sections={['grpo']}
      extra={{ rlhf_type: 'grpo' }}
      jobArguments={withoutType}
      command={() => ['osprey', 'rlhf', '--rlhf_type', 'grpo']}
    />
  );
}
