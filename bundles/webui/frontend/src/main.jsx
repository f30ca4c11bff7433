import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { apiKey, onKeyNeeded, setApiKey } from './api.js';
import { JobsPage, JobPage } from './jobs.jsx';
import { GrpoPage, RlhfPage, TrainPage } from './train.jsx';
import { EvalPage, ExportPage } from './evaluate.jsx';
import { ChatPage } from './chat.jsx';
import { PluginsPage } from './plugins.jsx';
import './style.css';

/** The page the location's hash names: #/jobs, #/jobs/ID, #/train, #/rlhf, #/grpo, #/eval, #/export, #/chat, #/plugins. */
function useRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'jobs').split('/');
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function KeyDialog({ onDone }) {
  const [key, setKey] = useState(apiKey());
  const submit = (e) => {
    e.preventDefault();
    setApiKey(key.trim());
    onDone();
  };
  return (
    <div class="overlay">
      <form class="dialog" onSubmit={submit} aria-label="API key">
        <h2>API key</h2>
        <p>This server needs its API key (the one it was started with: --api_key, --api_key_file or OSPREY_API_KEY).</p>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          value={key}
          onInput={(e) => setKey(e.target.value)}
          autofocus
        />
        <button type="submit">Use key</button>
      </form>
    </div>
  );
}

function App() {
  const route = useRoute();
  const [needKey, setNeedKey] = useState(false);
  const [generation, setGeneration] = useState(0); // remounts the page once a key is given
  useEffect(() => onKeyNeeded(setNeedKey), []);
  const page = route[0];
  const tabs = [
    ['jobs', 'Jobs'],
    ['train', 'Train'],
    ['rlhf', 'RLHF'],
    ['grpo', 'GRPO'],
    ['eval', 'Eval'],
    ['export', 'Export'],
    ['chat', 'Chat'],
    ['plugins', 'Plugins'],
  ];
  let content;
  if (page === 'jobs' && route[1]) content = <JobPage id={route[1]} />;
  else if (page === 'train') content = <TrainPage />;
  else if (page === 'rlhf') content = <RlhfPage />;
  else if (page === 'grpo') content = <GrpoPage />;
  else if (page === 'eval') content = <EvalPage />;
  else if (page === 'export') content = <ExportPage />;
  else if (page === 'chat') content = <ChatPage />;
  else if (page === 'plugins') content = <PluginsPage />;
  else content = <JobsPage />;
  return (
    <>
      <header>
        <span class="brand">Osprey</span>
        <nav>
          {tabs.map(([id, label]) => (
            <a href={`#/${id}`} class={page === id ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <button class="link" onClick={() => setNeedKey(true)}>
          {apiKey() ? 'API key ✓' : 'API key'}
        </button>
      </header>
      <main key={`${route.join('/')}:${generation}`}>{content}</main>
      {needKey && (
        <KeyDialog
          onDone={() => {
            setNeedKey(false);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </>
  );
}

render(<App />, document.getElementById('app'));
