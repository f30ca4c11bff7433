"""Reads the tool-calling demo's held-out weather rows whole through a checkpoint and counts, at three positions, how
often the most likely next token is the right one: the city in the call, the city in the answer and the condition
in the answer. It shows whether a model finds the city in the question before greedy decoding does
(distribution/demo/README.md, "Measured: when it learns to find the city"). The rows are written by Qwen2.5's own
template, which puts its default system text before the tools where Osprey's hermes agent template, which trained
the model, leaves it empty: close to the training prompt, not the same. Run in the Debian sid chroot of
docs/architecture.md, with /work bound into it and the checkpoint copied under the chroot:

    chroot /srv/sid python3 /work/main/tools/tools-demo-teacher-forced.py /tmp/checkpoint-2200
"""
import json, sys, torch
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

D = '/work/main/distribution/src/main/dist/demo'  # the tree as the chroot sees it
tok = PreTrainedTokenizerFast(tokenizer_file=f'{D}/tiny-tools/tokenizer.json')
tok.chat_template = json.load(open(f'{D}/tiny-tools/tokenizer_config.json'))['chat_template']
IM_END = 630


def token(word):
    ids = tok(word, add_special_tokens=False)['input_ids']
    assert len(ids) == 1, (word, ids)
    return ids[0]


def as_openai(row):
    """ms-swift's agent row as OpenAI messages for the chat template: tool_call → an assistant call, tool_response → tool."""
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
    return json.loads(row['tools']), messages


def encode(row):
    """The whole conversation's ids and, per position, the assistant token to predict there (-100 elsewhere)."""
    tools, messages = as_openai(row)
    ids, labels = [], []
    for i, m in enumerate(messages):
        if m['role'] != 'assistant':
            continue
        prompt = tok.apply_chat_template(messages[:i], tools=tools, add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template(messages[:i + 1], tools=tools, tokenize=False)
        p = tok(prompt, add_special_tokens=False)['input_ids']
        f = tok(full, add_special_tokens=False)['input_ids']
        end = f.index(IM_END, len(p)) + 1
        labels += [-100] * (len(p) - len(labels)) + f[len(p):end]
        ids = f[:end]
    return ids, labels


rows = [json.loads(line) for line in open(f'{D}/data/tools-heldout.jsonl')]
weather = [r for r in rows if 'get_weather' in r['messages'][1]['content']]
cities = {token(json.loads(r['messages'][1]['content'])['arguments']['city']) for r in weather}
conditions = {token(json.loads(r['messages'][2]['content'])['condition']) for r in weather}
model = AutoModelForCausalLM.from_pretrained(sys.argv[1]).eval()
right = {'call city': [0, 0], 'answer city': [0, 0], 'condition': [0, 0]}
with torch.no_grad():
    for row in weather:
        ids, labels = encode(row)
        predicted = model(input_ids=torch.tensor([ids])).logits[0, :-1].argmax(-1).tolist()  # (T - 1)
        city_seen = 0
        for j, target in enumerate(labels[1:]):
            if target in cities:
                slot = 'call city' if city_seen == 0 else 'answer city'
                city_seen += 1
            elif target in conditions:
                slot = 'condition'
            else:
                continue
            right[slot][0] += predicted[j] == target
            right[slot][1] += 1
print(', '.join(f'{slot} {n}/{total}' for slot, (n, total) in right.items()))
