#!/usr/bin/env python3
"""Reference fixtures for Qwen-1 (model_type "qwen", QWenLMHeadModel), whose modelling code is remote code
that transformers itself does not ship.

Qwen-1's decoder is Llama's with other names, so the reference is computed by a transformers model on the
same weights rearranged (see to_qwen1 for the key map):
  - qwen1:      no_bias true (every released Qwen-1): q/k/v biases only, i.e. transformers' Qwen2ForCausalLM;
  - qwen1-bias: no_bias false: biases on every projection, i.e. LlamaForCausalLM with attention_bias and
                mlp_bias.
Qwen-1's MLP is c_proj(w1(x) * silu(w2(x))): w2 is the gated projection (vLLM's
model_executor/models/qwen.py QWenMLP: gate_up_proj = [w2; w1], SiluAndMul on its first half; llama.cpp's
convert_hf_to_gguf.py QwenModel maps w2 to ffn_gate and w1 to ffn_up), so gate_proj = w2, up_proj = w1,
down_proj = mlp.c_proj. c_attn is [q; k; v] rows with a bias; attn.c_proj is o_proj.

The checkpoint, config.json and LoRA adapter are written in Qwen-1's names; the adapter targets c_attn,
c_proj, w1 and w2 (one A per fused c_attn, its B over the q, k and v rows), and its merged logits come from
the transformers model with each delta added to the rearranged weight. Sequences stay under seq_length, where
Qwen-1's dynamic NTK and logn attention scaling do nothing.

XVERSE (XverseForCausalLM, remote code too) is Llama under Llama's keys (vLLM's model_executor/models/xverse.py:
no biases, gate/up/down SwiGLU, RMSNorm, neox-style RoPE): its fixture is the llama case of
make-reference-fixtures.py with XVERSE's config.json (model_type xverse, no rope_theta: the default 10000).

    chroot /srv/sid python3 tools/make-qwen1-fixtures.py OUT_DIR [qwen1|qwen1-bias|xverse ...]
"""
import importlib.util
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)

# Qwen-1's fields: intermediate_size is twice the MLP width (ff = intermediate_size // 2)
QWEN1 = dict(vocab_size=128, hidden_size=32, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             kv_channels=8, rotary_emb_base=10000.0, rotary_pct=1.0, seq_length=64, max_position_embeddings=64,
             layer_norm_epsilon=1e-6, initializer_range=0.02, scale_attn_weights=True, use_dynamic_ntk=True,
             use_logn_attn=True, tie_word_embeddings=False, bf16=False, fp16=False, fp32=False,
             use_flash_attn=False, attn_dropout_prob=0.0, emb_dropout_prob=0.0, tokenizer_class="QWenTokenizer")

# name -> (transformers model_type, transformers overrides, Qwen-1 no_bias)
CASES = {
    "qwen1": ("qwen2", dict(), True),
    "qwen1-bias": ("llama", dict(attention_bias=True, mlp_bias=True), False),
}
LORA = ["c_attn", "c_proj", "w1", "w2"]


def hf_config(model_type, overrides):
    q = QWEN1
    kwargs = dict(vocab_size=q["vocab_size"], hidden_size=q["hidden_size"],
                  intermediate_size=q["intermediate_size"] // 2, num_hidden_layers=q["num_hidden_layers"],
                  num_attention_heads=q["num_attention_heads"], num_key_value_heads=q["num_attention_heads"],
                  max_position_embeddings=q["max_position_embeddings"], rms_norm_eps=q["layer_norm_epsilon"],
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                  rope_parameters=fx.rope("default", q["rotary_emb_base"]))
    kwargs.update(overrides)
    config = AutoConfig.for_model(model_type, **kwargs)
    config._attn_implementation = "eager"
    return config


def to_qwen1(state):
    """transformers' names -> Qwen-1's: q, k, v concatenated by rows into c_attn."""
    out = {"transformer.wte.weight": state["model.embed_tokens.weight"],
           "transformer.ln_f.weight": state["model.norm.weight"], "lm_head.weight": state["lm_head.weight"]}
    for i in range(QWEN1["num_hidden_layers"]):
        src, dst = f"model.layers.{i}.", f"transformer.h.{i}."
        out[dst + "ln_1.weight"] = state[src + "input_layernorm.weight"]
        out[dst + "ln_2.weight"] = state[src + "post_attention_layernorm.weight"]
        for part in ("weight", "bias"):
            qkv = [state.get(f"{src}self_attn.{p}.{part}") for p in ("q_proj", "k_proj", "v_proj")]
            if qkv[0] is not None:
                out[f"{dst}attn.c_attn.{part}"] = torch.cat(qkv, 0)  # (3·heads·D, H) or (3·heads·D)
            for hf, qwen in (("self_attn.o_proj", "attn.c_proj"), ("mlp.gate_proj", "mlp.w2"),
                             ("mlp.up_proj", "mlp.w1"), ("mlp.down_proj", "mlp.c_proj")):
                if src + hf + "." + part in state:
                    out[f"{dst}{qwen}.{part}"] = state[src + hf + "." + part]
    return {k: v.contiguous() for k, v in out.items()}


def qwen1_config(no_bias):
    config = dict(architectures=["QWenLMHeadModel"], model_type="qwen", no_bias=no_bias,
                  transformers_version=transformers.__version__, **QWEN1)
    return config


def lora(model, folder):
    """A PEFT adapter in Qwen-1's names; returns a copy of the transformers model with it merged."""
    g = torch.Generator().manual_seed(fx.SEED + 1)
    r, alpha = 4, 8
    scale = alpha / r
    qwen = to_qwen1(model.state_dict())
    hidden = QWEN1["hidden_size"]
    tensors, deltas, modules = {}, {}, []
    for key in sorted(qwen):
        module = key[:-len(".weight")]
        if not key.endswith(".weight") or module.split(".")[-1] not in LORA:
            continue
        rows, columns = qwen[key].shape
        a = torch.randn(r, columns, generator=g) * 0.3
        b = torch.randn(rows, r, generator=g) * 0.3
        tensors[f"base_model.model.{module}.lora_A.weight"] = a
        tensors[f"base_model.model.{module}.lora_B.weight"] = b
        deltas[module] = scale * (b @ a)  # (rows, columns), as the weight
        modules.append(module)
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=LORA, use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    merged = type(model)(model.config)
    state = model.state_dict()
    for i in range(QWEN1["num_hidden_layers"]):
        src, dst = f"model.layers.{i}.", f"transformer.h.{i}."
        for j, p in enumerate(("q_proj", "k_proj", "v_proj")):  # c_attn's delta, split back by rows
            state[f"{src}self_attn.{p}.weight"] = state[f"{src}self_attn.{p}.weight"] + \
                deltas[dst + "attn.c_attn"][j * hidden:(j + 1) * hidden]
        for hf, q in (("self_attn.o_proj", "attn.c_proj"), ("mlp.gate_proj", "mlp.w2"), ("mlp.up_proj", "mlp.w1"),
                      ("mlp.down_proj", "mlp.c_proj")):
            state[f"{src}{hf}.weight"] = state[f"{src}{hf}.weight"] + deltas[dst + q]
    merged.load_state_dict(state)
    return merged.eval(), modules


def make(name, model_type, overrides, no_bias, out_dir):
    torch.manual_seed(fx.SEED)
    model = AutoModelForCausalLM.from_config(hf_config(model_type, overrides), dtype=torch.float32,
                                             attn_implementation="eager").eval()
    fx.randomize(model, model_type)
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    save_file(to_qwen1(model.state_dict()), os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(qwen1_config(no_bias), f, indent=2)
    model.generation_config.save_pretrained(folder)

    ids = torch.tensor(fx.INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(fx.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note=f"computed by transformers' {type(model).__name__} on these weights in its own names"
                    " (tools/make-qwen1-fixtures.py); position ids count the real tokens of each row",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=fx.positions(mask).tolist(),
               labels=labels.tolist())
    with torch.no_grad():
        logits, loss = fx.forward(model, ids, mask, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = fx.greedy(model, ids, mask)
        alone = []
        for b in range(ids.shape[0]):
            row, row_margin = fx.greedy_cached(model, ids[b][mask[b] == 1].unsqueeze(0))
            alone.append(row)
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=fx.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        merged, modules = lora(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = fx.forward(merged, ids, mask, labels)
        ref["lora"] = dict(folder="adapter", modules=modules,
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


def make_xverse(out_dir):
    fx.make("xverse", "llama", dict(rope_parameters=fx.rope("default")), dict(lora=["q_proj", "v_proj", "down_proj"]),
            out_dir)
    path = os.path.join(out_dir, "xverse", "config.json")
    with open(path) as f:
        config = json.load(f)
    for llama_only in ("head_dim", "attention_bias", "mlp_bias", "pretraining_tp", "rope_parameters", "rope_theta",
                       "rope_scaling", "dtype"):
        config.pop(llama_only, None)
    config.update(model_type="xverse", architectures=["XverseForCausalLM"])
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (mt, over, nb) in CASES.items():
        if not only or case in only:
            make(case, mt, over, nb, out)
    if not only or "xverse" in only:
        make_xverse(out)
