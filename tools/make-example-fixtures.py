#!/usr/bin/env python3
"""Reference fixtures for the third-party example architectures under examples/, made exactly as
tools/make-reference-fixtures.py makes the platform's own (its make() is reused): a tiny checkpoint written by
transformers' from_config + save_pretrained, with the logits, loss, greedy tokens and PEFT-adapter logits that
transformers computes for it in reference.json.

    python3 tools/make-example-fixtures.py OUT_DIR [CASE...]

OLMo (OlmoForCausalLM) is the example: its attention clamps q, k and v to [-clip_qkv, clip_qkv] and its
LayerNorm has no parameters, two modules the platform's core does not have. clip_qkv = 1.0 is small enough
that the clamp changes many values of these tiny layers, so the reference shows whether a port clamps.

GPT-2 (GPT2LMHeadModel, examples/gpt-architecture) is a model that is not a decoder of the SPI's layout: learned
positions, LayerNorm with a bias, Conv1D layers stored (in, out) with q, k and v fused in c_attn, a GELU MLP and
a head tied to the token table. Its sizes are GPT-2's own config names, and its LoRA adapter targets the Conv1D
layers the way PEFT does (fan_in_fan_out: the merged delta is transposed into the (in, out) weight).
"""
import functools
import importlib.util
import os
import sys

import json
import math

import torch
from safetensors.torch import save_file
from transformers.pytorch_utils import Conv1D

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("reference_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

GPT2_TINY = dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64, n_inner=64, bos_token_id=1,
                 eos_token_id=2, pad_token_id=0, tie_word_embeddings=True, activation_function="gelu_new")


def randomize_gpt2(model, model_type):
    """As make-reference-fixtures.py's randomize, for GPT-2's names: LayerNorm scales near 1, Conv1D fan-in is dim 0."""
    g = torch.Generator().manual_seed(fixtures.SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ".ln_" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("wte.weight") or name.endswith("wpe.weight"):
                p.copy_(0.3 * torch.randn(p.shape, generator=g))  # wte is also the tied head
            else:
                fan_in = p.shape[0]  # Conv1D stores (in, out)
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(fan_in)))


# make-reference-fixtures.py's adapter on Conv1D layers (fan_in_fan_out): merged as (B A)^T into W (in, out);
# bound now, before make_gpt2 puts it in the module's place
lora_adapter_gpt2 = functools.partial(fixtures.lora_adapter, layer_type=Conv1D, fan_in_fan_out=True)


def make_gpt2(name, out):
    """make-reference-fixtures.py's make() with GPT-2's config names, randomization and Conv1D LoRA."""
    saved = fixtures.TINY, fixtures.randomize, fixtures.lora_adapter
    fixtures.TINY, fixtures.randomize, fixtures.lora_adapter = GPT2_TINY, randomize_gpt2, lora_adapter_gpt2
    try:
        fixtures.make(name, "gpt2", {}, dict(lora=["c_attn", "c_proj", "c_fc"]), out)
    finally:
        fixtures.TINY, fixtures.randomize, fixtures.lora_adapter = saved


CASES = {
    "olmo": ("olmo", dict(clip_qkv=1.0, attention_bias=False, rope_parameters=fixtures.rope("default")),
             dict(lora=["q_proj", "v_proj", "down_proj"])),
}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "example-fixtures"
    torch.set_num_threads(1)
    only = set(sys.argv[2:])
    for case, (mt, over, opts) in CASES.items():
        if not only or case in only:
            fixtures.make(case, mt, over, opts, out)
    if not only or "gpt2" in only:
        make_gpt2("gpt2", out)
