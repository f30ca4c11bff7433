#!/usr/bin/env python3
"""Greedy generation by Hugging Face transformers from a chat, to compare with `osprey generate --chat`.

Loads MODEL_DIR with AutoTokenizer and AutoModelForCausalLM (as anyone receiving a model Osprey exported
would), renders the user message with the folder's own chat template, and prints JSON: the prompt ids,
the new token ids, the new text and the logits' top 5 at the last prompt position.

    python3 tools/transformers-generate.py MODEL_DIR "question" [MAX_NEW_TOKENS]
"""
import json
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer

folder, question = sys.argv[1], sys.argv[2]
new_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 24
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                       tokenize=False)
# tokenizer.json itself, through the tokenizers library: transformers 5 maps model_type qwen2 to its
# byte-level BPE Qwen2Tokenizer whatever tokenizer_class says, which cannot read the demo's word-level
# vocabulary (real Qwen folders are byte-level BPE and unaffected)
raw = Tokenizer.from_file(f"{folder}/tokenizer.json")
ids = raw.encode(prompt, add_special_tokens=False).ids
with torch.no_grad():
    logits = model(torch.tensor([ids])).logits[0, -1]
    out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                         do_sample=False, max_new_tokens=new_tokens)
new = out[0, len(ids):].tolist()
top = torch.topk(logits, 5)
print(json.dumps(dict(prompt_ids=ids, new_ids=new, text=raw.decode(new, skip_special_tokens=True),
                      top5=dict(ids=top.indices.tolist(), logits=[round(v, 5) for v in top.values.tolist()]))))
