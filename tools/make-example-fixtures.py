#!/usr/bin/env python3
"""Reference fixtures for the third-party example architectures under examples/, made exactly as
tools/make-reference-fixtures.py makes the platform's own (its make() is reused): a tiny checkpoint written by
transformers' from_config + save_pretrained, with the logits, loss, greedy tokens and PEFT-adapter logits that
transformers computes for it in reference.json.

    python3 tools/make-example-fixtures.py OUT_DIR

OLMo (OlmoForCausalLM) is the example: its attention clamps q, k and v to [-clip_qkv, clip_qkv] and its
LayerNorm has no parameters, two modules the platform's core does not have. clip_qkv = 1.0 is small enough
that the clamp changes many values of these tiny layers, so the reference shows whether a port clamps.
"""
import importlib.util
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("reference_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

CASES = {
    "olmo": ("olmo", dict(clip_qkv=1.0, attention_bias=False, rope_parameters=fixtures.rope("default")),
             dict(lora=["q_proj", "v_proj", "down_proj"])),
}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "example-fixtures"
    torch.set_num_threads(1)
    for case, (mt, over, opts) in CASES.items():
        fixtures.make(case, mt, over, opts, out)
