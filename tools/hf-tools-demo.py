"""Trains the tool-calling demo's model in Hugging Face transformers on the same rows, to tell the recipe from Osprey.

The same Qwen2 shape as distribution/demo/README.md's recipe (2 layers, hidden 128, 4 heads, 2 key/value heads,
tied embeddings, initializer_range 0.05), the same tokenizer, Qwen2.5's own chat template with the tools (ms-swift's
`tool_call` / `tool_response` rows turned into OpenAI messages), loss on the assistant turns only, AdamW at the
given learning rate with 3% warm-up and a cosine decay, batches of 16; then greedy calls on the 40 held-out rows.
Run in the Debian sid chroot of docs/architecture.md, with /work bound into it, from anywhere:

    OMP_NUM_THREADS=1 chroot /srv/sid python3 -u /work/main/tools/hf-tools-demo.py [STEPS [LAYERS [LR]]]

Measured (500 steps, 2 layers, 3e-3; about as many seconds a step as `osprey sft` on the same machine): loss 0.13,
15 of 40 calls right: 15 of 20 sums, 0 of 20 cities (`Oslo`, `Milan` or `Tokyo` by phrasing), as Osprey's run.
"""
import json, math, random, sys, torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from tools_demo_rows import DEMO as D, as_openai, encode, tokenizer

tok = tokenizer()
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
lr = float(sys.argv[3]) if len(sys.argv) > 3 else 3e-3

rows = [json.loads(l) for l in open(f'{D}/data/tools.jsonl')]
data = [encode(tok, r) for r in rows]
print('rows', len(data), 'max len', max(len(d[0]) for d in data))
torch.manual_seed(42); random.seed(42)
cfg = Qwen2Config(vocab_size=650, hidden_size=128, intermediate_size=256, num_hidden_layers=layers, num_attention_heads=4,
                  num_key_value_heads=2, tie_word_embeddings=True, initializer_range=0.05, max_position_embeddings=1024,
                  bos_token_id=628, eos_token_id=630, pad_token_id=628)
model = Qwen2ForCausalLM(cfg)
opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0)
warm = max(1, int(0.03 * steps))
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (steps - warm))))
order = []
for step in range(steps):
    if len(order) < 16:
        order += random.sample(range(len(data)), len(data))
    batch = [data[order.pop()] for _ in range(16)]
    L = max(len(b[0]) for b in batch)
    ids = torch.tensor([b[0] + [628] * (L - len(b[0])) for b in batch])
    lab = torch.tensor([b[1] + [-100] * (L - len(b[1])) for b in batch])
    att = torch.tensor([[1] * len(b[0]) + [0] * (L - len(b[0])) for b in batch])
    loss = model(input_ids=ids, attention_mask=att, labels=lab).loss
    loss.backward(); opt.step(); sched.step(); opt.zero_grad()
    if step % 50 == 0 or step == steps - 1:
        print(step, round(loss.item(), 4), flush=True)

model.eval()
held = [json.loads(l) for l in open(f'{D}/data/tools-heldout.jsonl')]
right = 0
for r in held:
    tools, msgs = as_openai(r)
    prompt = tok.apply_chat_template(msgs[:1], tools=tools, add_generation_prompt=True, tokenize=False)
    ids = torch.tensor([tok(prompt, add_special_tokens=False)['input_ids']])
    out = model.generate(ids, max_new_tokens=40, do_sample=False, eos_token_id=630, pad_token_id=628)
    text = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=False)
    want = json.dumps(msgs[1]['tool_calls'][0]['function']['arguments']) if msgs[1].get('tool_calls') else msgs[1]['content']
    ok = want in text
    right += ok
    print(('OK ' if ok else 'NO ') + msgs[0]['content'] + ' -> ' + text.replace('\n', ' ')[:100])
print('calls right', right, 'of', len(held))
model.save_pretrained(f'/tmp/hf-tools-{layers}-{steps}')
