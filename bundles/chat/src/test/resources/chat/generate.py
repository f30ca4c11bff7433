# Renders every case of conversations.json with every template of templates.py the way
# transformers' apply_chat_template does (jinja2 ImmutableSandboxedEnvironment, trim_blocks and
# lstrip_blocks, its tojson / raise_exception / strftime_now), and writes templates/*.jinja and
# golden.json. Needs jinja2 >= 3.1 (the tests do not run this; they read its output).
import json, os, datetime
from jinja2 import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment
from templates import TEMPLATES, TOKENS, SOURCES

CASES = {
  "qwen2_5": ["full", "no_system", "gen", "gen_no_system", "tools"],
  "qwen3": ["full", "no_system", "gen", "gen_no_system", "reasoning", "think_in_content", "no_thinking_gen", "tools"],
  "llama3_1": ["full", "no_system", "gen", "gen_no_system", "tools"],
  "llama2": ["full", "no_system", "gen", "gen_no_system"],
  "mistral": ["full", "no_system", "gen", "gen_no_system"],
  "gemma": ["full", "no_system", "gen", "gen_no_system"],
  "phi3": ["full", "no_system", "gen", "gen_no_system"],
  "deepseek_r1": ["full", "no_system", "gen", "gen_no_system", "think_in_content"],
}

def raise_exception(message):
    raise TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

def strftime_now(fmt):
    return datetime.datetime.now().strftime(fmt)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

def hf_message(m):
    out = {"role": m["role"], "content": m["content"]}
    if m.get("reasoning"):
        out["reasoning_content"] = m["reasoning"]
    if m.get("tool_calls"):
        out["tool_calls"] = [{"type": "function", "id": c["id"], "function": {"name": c["name"], "arguments": c["arguments"]}}
                             for c in m["tool_calls"]]
    if m.get("tool_call_id"):
        out["tool_call_id"] = m["tool_call_id"]
    return out

conversations = json.load(open("conversations.json", encoding="utf-8"))
golden = {}
os.makedirs("templates", exist_ok=True)
for name, source in TEMPLATES.items():
    with open(f"templates/{name}.jinja", "w", encoding="utf-8", newline="") as f:
        f.write("{# " + SOURCES[name] + " #}\n" + source)
    compiled = env.from_string(source)
    golden[name] = {}
    for case in CASES[name]:
        c = conversations[case]
        kwargs = dict(c.get("kwargs", {}))
        tools = [{"type": "function", "function": t} for t in c["tools"]] if c.get("tools") else None
        try:
            text = compiled.render(messages=[hf_message(m) for m in c["messages"]], tools=tools,
                                   add_generation_prompt=c.get("add_generation_prompt", False),
                                   **TOKENS[name], **kwargs)
            golden[name][case] = {"text": text}
        except TemplateError as e:
            golden[name][case] = {"error": str(e)}
with open("golden.json", "w", encoding="utf-8") as f:
    json.dump({"_note": "rendered by generate.py with jinja2 as transformers.apply_chat_template renders",
               "tokens": TOKENS, "golden": golden}, f, ensure_ascii=False, indent=1)
print(json.dumps(golden, ensure_ascii=False, indent=1)[:6000])
