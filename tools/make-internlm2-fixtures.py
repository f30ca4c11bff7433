#!/usr/bin/env python3
"""Writes the tiny InternLM reference fixtures (internlm2, internlm3, internlm): checkpoints in each family's
own key layout and the outputs transformers computes for them.

InternLM2 (InternLM2ForCausalLM) is remote code, not part of transformers, and the Hub cannot be reached
here. Its math is Llama's (RMSNorm, RoPE with rope_scaling dynamic or linear, grouped-query attention,
SwiGLU); only the names and the packing of q, k and v differ. So this script builds a transformers
LlamaForCausalLM with make-reference-fixtures.py's tiny shape and random weights, computes the reference
outputs with it (the same functions as every other fixture), and writes the checkpoint under InternLM2's
keys, with an InternLM2 config.json:

    model.embed_tokens          -> model.tok_embeddings
    self_attn.{q,k,v}_proj      -> attention.wqkv, packed per key/value head h:
                                   [q heads h·G .. h·G+G-1, k head h, v head h], each head_dim rows
                                   (G = num_attention_heads / num_key_value_heads)
    self_attn.o_proj            -> attention.wo
    mlp.gate_proj/up_proj/down  -> feed_forward.w1 / w3 / w2
    input_layernorm             -> attention_norm
    post_attention_layernorm    -> ffn_norm
    lm_head                     -> output

The packing follows ModelTC/lightllm, lightllm/models/internlm2/layer_weights/transformer_layer_weight.py
(wqkv.reshape(n_kv_head, q_groups + 2, head_dim, in): q = [:, :q_groups], k = [:, -2], v = [:, -1]), which
is also how vLLM's internlm2.py splits it (view(-1, kv_heads, groups + 2, head_dim), split [groups, 1, 1]).

InternLM3 and InternLM (v1) keep Llama's keys; only their biases differ. InternLM3 (lmdeploy's
pytorch/models/internlm3.py): q, k, v biased by qkv_bias, o_proj and the MLP by bias. InternLM (v1): q, k, v
and o biased by bias, the MLP not (lightllm's models/internlm). Llama's attention_bias biases q, k, v and o
alike, so for InternLM3 with qkv_bias and not bias the reference Llama's o_proj bias is zero and not stored.

The InternLM2 PEFT adapter targets InternLM2's names (wqkv, wo, w1, w2, w3), as adapters trained on these models do:
it is drawn in InternLM2's layout and its merged delta is unpacked into Llama's q/k/v for the reference.

Needs what make-reference-fixtures.py needs (Debian sid: chroot /srv/sid python3 ...):
    python3 tools/make-internlm2-fixtures.py OUT_DIR
"""
import importlib.util
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)

# name -> (Llama config overrides, InternLM2 config overrides); max_position_embeddings 16 < 12 + 8 new tokens,
# so dynamic NTK scaling grows the base during generation
CASES = {
    "internlm2": ("internlm2", dict(max_position_embeddings=16, rope_parameters=fx.rope("dynamic", 1000000.0, factor=2.0)),
                  dict(max_position_embeddings=16, rope_theta=1000000.0,
                       rope_scaling=dict(type="dynamic", factor=2.0))),
    # head_dim 16 with hidden 32 and 4 heads: q is wider than the model
    "internlm3": ("internlm3", dict(head_dim=16, attention_bias=True,
                                    rope_parameters=fx.rope("linear", 50000000.0, factor=2.0)),
                  dict(head_dim=16, qkv_bias=True, bias=False, rope_theta=50000000.0,
                       rope_scaling=dict(rope_type="linear", factor=2.0))),
    # InternLM (v1) names its rotary embedding "rotary" (base, type origin or dynamic, scaling_factor); 8 positions
    # before the 12-token batch, so the scaled base already shapes the compared logits
    "internlm": ("internlm", dict(num_key_value_heads=4, attention_bias=True, max_position_embeddings=8,
                                  rope_parameters=fx.rope("dynamic", factor=2.0)),
                 dict(bias=True, max_position_embeddings=8,
                      rotary=dict(base=10000.0, type="dynamic", scaling_factor=2.0))),
}
ARCHITECTURES = {"internlm2": "InternLM2ForCausalLM", "internlm3": "InternLM3ForCausalLM",
                 "internlm": "InternLMForCausalLM"}
LLAMA_LORA = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LORA = ["wqkv", "wo", "w1", "w2", "w3"]


def pack_qkv(q, k, v, kv_heads, head_dim):
    """(heads·D, ·), (kvHeads·D, ·), (kvHeads·D, ·) -> (kvHeads·(G+2)·D, ·) in InternLM2's order."""
    rest = q.shape[1:]
    q = q.reshape(kv_heads, -1, head_dim, *rest)  # (kvHeads, G, D, ·)
    k = k.reshape(kv_heads, 1, head_dim, *rest)
    v = v.reshape(kv_heads, 1, head_dim, *rest)
    return torch.cat([q, k, v], dim=1).reshape(-1, *rest)


def unpack_qkv(w, kv_heads, head_dim):
    """The inverse of pack_qkv."""
    rest = w.shape[1:]
    w = w.reshape(kv_heads, -1, head_dim, *rest)  # (kvHeads, G+2, D, ·)
    return (w[:, :-2].reshape(-1, *rest), w[:, -2].reshape(-1, *rest), w[:, -1].reshape(-1, *rest))


def internlm2_state(state, cfg):
    kv, d = cfg.num_key_value_heads, cfg.hidden_size // cfg.num_attention_heads
    out = {"model.tok_embeddings.weight": state["model.embed_tokens.weight"],
           "model.norm.weight": state["model.norm.weight"], "output.weight": state["lm_head.weight"]}
    for i in range(cfg.num_hidden_layers):
        s, t = f"model.layers.{i}.", f"model.layers.{i}."
        out[t + "attention.wqkv.weight"] = pack_qkv(state[s + "self_attn.q_proj.weight"],
                                                    state[s + "self_attn.k_proj.weight"],
                                                    state[s + "self_attn.v_proj.weight"], kv, d)
        out[t + "attention.wo.weight"] = state[s + "self_attn.o_proj.weight"]
        out[t + "feed_forward.w1.weight"] = state[s + "mlp.gate_proj.weight"]
        out[t + "feed_forward.w3.weight"] = state[s + "mlp.up_proj.weight"]
        out[t + "feed_forward.w2.weight"] = state[s + "mlp.down_proj.weight"]
        out[t + "attention_norm.weight"] = state[s + "input_layernorm.weight"]
        out[t + "ffn_norm.weight"] = state[s + "post_attention_layernorm.weight"]
    return {k: v.contiguous() for k, v in out.items()}


LLAMA_OF = {"w1": "mlp.gate_proj", "w3": "mlp.up_proj", "w2": "mlp.down_proj", "wo": "self_attn.o_proj"}


def lora_adapter(model, folder):
    """A PEFT adapter on InternLM2's modules (A (r, in), B (out, r), scale alpha/r); returns Llama with it merged."""
    cfg = model.config
    kv, d = cfg.num_key_value_heads, cfg.hidden_size // cfg.num_attention_heads
    g = torch.Generator().manual_seed(fx.SEED + 1)
    r, alpha = 4, 8
    shapes = {"wqkv": ((cfg.num_attention_heads + 2 * kv) * d, cfg.hidden_size),
              "wo": (cfg.hidden_size, cfg.num_attention_heads * d),
              "w1": (cfg.intermediate_size, cfg.hidden_size), "w3": (cfg.intermediate_size, cfg.hidden_size),
              "w2": (cfg.hidden_size, cfg.intermediate_size)}
    tensors, deltas = {}, {}
    for i in range(cfg.num_hidden_layers):
        for name in LORA:
            part = "attention" if name in ("wqkv", "wo") else "feed_forward"
            module = f"model.layers.{i}.{part}.{name}"
            out_f, in_f = shapes[name]
            a = torch.randn(r, in_f, generator=g) * 0.3
            b = torch.randn(out_f, r, generator=g) * 0.3
            tensors[f"base_model.model.{module}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{module}.lora_B.weight"] = b.contiguous()
            delta = alpha / r * (b @ a)
            if name == "wqkv":
                for proj, part_delta in zip(("q_proj", "k_proj", "v_proj"), unpack_qkv(delta, kv, d)):
                    deltas[f"model.layers.{i}.self_attn.{proj}"] = part_delta
            else:
                deltas[f"model.layers.{i}.{LLAMA_OF[name]}"] = delta
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=sorted(LORA), use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    merged = type(model)(model.config)
    merged.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, module in merged.named_modules():
            if name in deltas:
                module.weight.add_(deltas[name])
    return merged.eval(), sorted(m[len("base_model.model."):-len(".lora_A.weight")] for m in tensors if "lora_A" in m)


def make(name, family, llama_overrides, internlm_overrides, out_dir):
    torch.manual_seed(fx.SEED)
    kwargs = dict(fx.TINY)
    kwargs.update(llama_overrides)
    config = transformers.AutoConfig.for_model("llama", **kwargs)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32,
                                                          attn_implementation="eager").eval()
    fx.randomize(model, "llama")
    if family == "internlm3":
        with torch.no_grad():  # InternLM3 with bias false has no o_proj bias: Llama's is 0
            for layer in model.model.layers:
                layer.self_attn.o_proj.bias.zero_()
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)  # the generation_config.json; the Llama weights and config are replaced below
    os.remove(os.path.join(folder, "model.safetensors"))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if family == "internlm2":
        packed = internlm2_state(state, config)
        # the packing is a permutation: unpacking restores Llama's q, k and v exactly
        q, k, v = unpack_qkv(packed["model.layers.0.attention.wqkv.weight"], config.num_key_value_heads,
                             config.hidden_size // config.num_attention_heads)
        assert torch.equal(q, state["model.layers.0.self_attn.q_proj.weight"]) and torch.equal(
            k, state["model.layers.0.self_attn.k_proj.weight"]) and torch.equal(v, state["model.layers.0.self_attn.v_proj.weight"])
    else:
        packed = {k: v.contiguous() for k, v in state.items()
                  if not (family == "internlm3" and k.endswith("o_proj.bias"))}
    save_file(packed, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    internlm = dict(architectures=[ARCHITECTURES[family]], model_type=family,
                    vocab_size=config.vocab_size, hidden_size=config.hidden_size,
                    intermediate_size=config.intermediate_size, num_hidden_layers=config.num_hidden_layers,
                    num_attention_heads=config.num_attention_heads, num_key_value_heads=config.num_key_value_heads,
                    hidden_act="silu", initializer_range=0.02, rms_norm_eps=config.rms_norm_eps, bias=False,
                    use_cache=True, pad_token_id=0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                    attn_implementation="eager", torch_dtype="float32")
    internlm.update(internlm_overrides)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(internlm, f, indent=2)

    ids = torch.tensor(fx.INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(fx.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="InternLM is remote code: computed by LlamaForCausalLM on the same weights in Llama's keys (InternLM2's wqkv unpacked;"
                    " tools/make-internlm2-fixtures.py); position ids count the real tokens",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=fx.positions(mask).tolist(),
               labels=labels.tolist())
    with torch.no_grad():
        logits, loss = fx.forward(model, ids, mask, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = fx.greedy(model, ids, mask)
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            row, row_margin = fx.greedy_cached(model, real)
            alone.append(row)
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=fx.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        if family == "internlm2":
            merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        else:
            merged, adapted = fx.lora_adapter(model, LLAMA_LORA, False, os.path.join(folder, "adapter"))
            adapted = sorted(adapted)
        lora_logits, lora_loss = fx.forward(merged, ids, mask, labels)
        ref["lora"] = dict(folder="adapter", modules=adapted,
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    torch.set_num_threads(1)
    only = set(sys.argv[2:])
    for case, (family, llama, internlm) in CASES.items():
        if not only or case in only:
            make(case, family, llama, internlm, out)
