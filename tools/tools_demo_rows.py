"""The tool-calling demo's rows as transformers sees them, shared by tools/hf-tools-demo.py and
tools/tools-demo-teacher-forced.py (both run in the Debian sid chroot; see their docstrings)."""
import json

from transformers import PreTrainedTokenizerFast

DEMO = '/work/main/distribution/src/main/dist/demo'  # the tree as the chroot sees it
IM_END = 630


def tokenizer():
    """The demo's tokenizer with Qwen2.5's chat template."""
    tok = PreTrainedTokenizerFast(tokenizer_file=f'{DEMO}/tiny-tools/tokenizer.json')
    tok.chat_template = json.load(open(f'{DEMO}/tiny-tools/tokenizer_config.json'))['chat_template']
    return tok


def as_openai(row):
    """ms-swift's agent row as OpenAI messages: tool_call → an assistant call, tool_response → a tool message."""
    tools = json.loads(row['tools']) if row.get('tools') else None
    messages = []
    for m in row['messages']:
        if m['role'] == 'tool_call':
            call = json.loads(m['content'])
            messages.append({'role': 'assistant', 'content': '', 'tool_calls': [
                {'type': 'function', 'function': {'name': call['name'], 'arguments': call['arguments']}}]})
        elif m['role'] == 'tool_response':
            messages.append({'role': 'tool', 'content': m['content']})
        else:
            messages.append(m)
    return tools, messages


def encode(tok, row):
    """The whole conversation's ids and, per position, the assistant token to learn there (-100 elsewhere)."""
    tools, messages = as_openai(row)
    ids, labels = [], []
    for i, m in enumerate(messages):
        if m['role'] != 'assistant':
            continue
        prompt = tok.apply_chat_template(messages[:i], tools=tools, add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template(messages[:i + 1], tools=tools, tokenize=False)
        p = tok(prompt, add_special_tokens=False)['input_ids']
        f = tok(full, add_special_tokens=False)['input_ids']
        assert f[:len(p)] == p
        end = f.index(IM_END, len(p)) + 1  # through <|im_end|>
        labels += [-100] * (len(p) - len(labels)) + f[len(p):end]
        ids = f[:end]
    return ids, labels
