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
from transformers import AutoModelForCausalLM

from tools_demo_rows import DEMO, encode, tokenizer

tok = tokenizer()


def token(word):
    ids = tok(word, add_special_tokens=False)['input_ids']
    assert len(ids) == 1, (word, ids)
    return ids[0]


rows = [json.loads(line) for line in open(f'{DEMO}/data/tools-heldout.jsonl')]
weather = [r for r in rows if 'get_weather' in r['messages'][1]['content']]
cities = {token(json.loads(r['messages'][1]['content'])['arguments']['city']) for r in weather}
conditions = {token(json.loads(r['messages'][2]['content'])['condition']) for r in weather}
model = AutoModelForCausalLM.from_pretrained(sys.argv[1]).eval()
right = {'call city': [0, 0], 'answer city': [0, 0], 'condition': [0, 0]}
with torch.no_grad():
    for row in weather:
        ids, labels = encode(tok, row)
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
