#!/usr/bin/env python3
"""Writes tiny Hugging Face checkpoints and the outputs Hugging Face transformers itself computes for them.

Each case becomes a model folder (config.json, safetensors, generation_config.json, as save_pretrained
writes them) with reference.json beside: logits for a left-padded batch of two rows, the causal-LM loss,
greedy tokens from generate(), and, where a case has one, the logits of a PEFT-format LoRA adapter
applied by PEFT's formula (W + alpha/r * B @ A; the peft package itself is not needed to define it).
Osprey's tests load the folders and must reproduce these numbers (ReferenceOutputs in bundles/model).

Needs torch, transformers and safetensors (Debian sid packages them; see docs/reference-fixtures.md):
    python3 tools/make-reference-fixtures.py OUT_DIR
"""
import copy
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM

TINY = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
            pad_token_id=0, tie_word_embeddings=False)
HEAD_DIM = 8  # hidden_size / num_attention_heads


def rope(rope_type, theta=10000.0, **extra):
    return dict(rope_type=rope_type, rope_theta=theta, **extra)


# name -> (model_type, config overrides, options)
CASES = {
    "llama": ("llama", dict(rope_parameters=rope("default")), dict(lora=["q_proj", "v_proj", "down_proj"])),
    "llama-bf16": ("llama", dict(rope_parameters=rope("default")), dict(dtype=torch.bfloat16)),
    "llama-rope-llama3": ("llama", dict(rope_parameters=rope("llama3", 500000.0, factor=8.0, low_freq_factor=1.0,
                                                             high_freq_factor=4.0, original_max_position_embeddings=8)), {}),
    "llama-rope-linear": ("llama", dict(rope_parameters=rope("linear", factor=2.0)), {}),
    "llama-rope-dynamic": ("llama", dict(max_position_embeddings=16, rope_parameters=rope("dynamic", factor=2.0)), {}),
    "seed-oss": ("seed_oss", dict(head_dim=HEAD_DIM, attention_bias=True, attention_out_bias=True, mlp_bias=True,
                                  attention_dropout=0.0, residual_dropout=0.0, rope_parameters=rope("default")), {}),
    "mistral": ("mistral", dict(sliding_window=4, head_dim=HEAD_DIM, rope_parameters=rope("default")), {}),
    "mixtral": ("mixtral", dict(num_local_experts=4, num_experts_per_tok=2, sliding_window=None,
                                rope_parameters=rope("default")), {}),
    "qwen2": ("qwen2", dict(tie_word_embeddings=True, rope_parameters=rope("default", 1000000.0)),
              dict(lora=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], rslora=True)),
    "qwen2-rope-yarn": ("qwen2", dict(rope_parameters=rope("yarn", factor=4.0, original_max_position_embeddings=8)), {}),
    "qwen3": ("qwen3", dict(head_dim=16, tie_word_embeddings=True, rope_parameters=rope("default", 1000000.0)),
              dict(shard="40KB")),
    "qwen2-moe": ("qwen2_moe", dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
                                    shared_expert_intermediate_size=48, norm_topk_prob=False, decoder_sparse_step=1,
                                    mlp_only_layers=[], qkv_bias=True, rope_parameters=rope("default", 1000000.0)), {}),
    "qwen3-moe": ("qwen3_moe", dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16, norm_topk_prob=True,
                                    decoder_sparse_step=1, mlp_only_layers=[], rope_parameters=rope("default")), {}),
    "qwen3-moe-dense-layer": ("qwen3_moe", dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
                                                norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[1],
                                                rope_parameters=rope("default")), {}),
    "gemma": ("gemma", dict(head_dim=HEAD_DIM, tie_word_embeddings=True, hidden_activation="gelu_pytorch_tanh",
                            rope_parameters=rope("default")), {}),
    # sliding_window 4 < the 12-token batch and its 8 new tokens; small soft caps, so that they change the logits
    "gemma2": ("gemma2", dict(head_dim=HEAD_DIM, tie_word_embeddings=False, hidden_activation="gelu_pytorch_tanh",
                              sliding_window=4, query_pre_attn_scalar=16, attn_logit_softcapping=2.0,
                              final_logit_softcapping=8.0, rope_parameters=rope("default")),
               dict(lora=["q_proj", "v_proj", "down_proj"])),
    "gemma3-text": ("gemma3_text", dict(head_dim=HEAD_DIM, tie_word_embeddings=False, sliding_window=4,
                                        query_pre_attn_scalar=16, layer_types=["sliding_attention", "full_attention"],
                                        rope_parameters={"sliding_attention": rope("default", 10000.0),
                                                         "full_attention": rope("linear", 1000000.0, factor=8.0)}),
                    dict(lora=["q_proj", "k_proj", "o_proj", "up_proj"])),
    "hunyuan": ("hunyuan_v1_dense", dict(head_dim=HEAD_DIM, tie_word_embeddings=True,
                                         rope_parameters=rope("dynamic", alpha=1000.0, factor=1.0)), {}),
    "phi3": ("phi3", dict(rope_parameters=rope("default")), dict(lora=["qkv_proj", "gate_up_proj"])),
    # GLM (GlmForCausalLM: GLM-Edge, and transformers' port of ChatGLM-4): GLM-4-0414 without its sandwich norms
    "glm": ("glm", dict(head_dim=16, attention_bias=True, partial_rotary_factor=0.5, rope_parameters=rope("default")),
            dict(lora=["q_proj", "k_proj", "gate_up_proj"])),
    "glm4": ("glm4", dict(head_dim=16, attention_bias=True, partial_rotary_factor=0.5, rope_parameters=rope("default")),
             dict(lora=["q_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"])),
    "olmoe": ("olmoe", dict(num_experts=4, num_experts_per_tok=2, intermediate_size=16, norm_topk_prob=False,
                            rope_parameters=rope("default")), dict(lora=["q_proj", "k_proj", "v_proj", "o_proj"])),
    "olmoe-clip": ("olmoe", dict(num_experts=4, num_experts_per_tok=2, intermediate_size=16, norm_topk_prob=True,
                                 clip_qkv=1.0, rope_parameters=rope("default")), {}),
    # Cohere: one input LayerNorm (no bias) feeds attention and MLP in parallel, interleaved RoPE, scaled logits
    "cohere": ("cohere", dict(tie_word_embeddings=True, logit_scale=0.5, rope_parameters=rope("default")),
               dict(lora=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])),
    "cohere-qknorm": ("cohere", dict(tie_word_embeddings=False, logit_scale=0.25, use_qk_norm=True, attention_bias=True,
                                     layer_norm_eps=1e-2, rope_parameters=rope("default", 500000.0)), {}),
    # ERNIE 4.5: interleaved RoPE; MoE layers from moe_layer_start_index, softmax router whose correction bias only
    # chooses, shared experts; the dense model with biases on every linear (use_bias)
    "ernie4_5-moe": ("ernie4_5_moe", dict(tie_word_embeddings=True, moe_num_experts=4, moe_k=2, moe_num_shared_experts=1,
                                          moe_intermediate_size=16, moe_layer_start_index=1,
                                          rope_parameters=rope("default")),
                     dict(lora=["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])),
    "ernie4_5": ("ernie4_5", dict(head_dim=HEAD_DIM, use_bias=True, rope_parameters=rope("default", 500000.0)),
                 dict(lora=["q_proj", "k_proj", "down_proj"])),
    # pre-quantized checkpoints, in the formats GPTQ, AWQ and FP8 checkpoints on the Hub use
    "llama-gptq": ("llama", dict(rope_parameters=rope("default")), dict(quantize="gptq")),
    "llama-awq": ("llama", dict(rope_parameters=rope("default")), dict(quantize="awq")),
    # the same in groups of 32 on layers of 64 and 128 features: shapes PyTorch's int4 CPU kernel takes, so Osprey
    # serves them packed (the groups of 16 above are dequantized in every pass)
    "llama-gptq-g32": ("llama", dict(hidden_size=64, intermediate_size=128, head_dim=16, rope_parameters=rope("default")),
                       dict(quantize="gptq", group=32)),
    "llama-awq-g32": ("llama", dict(hidden_size=64, intermediate_size=128, head_dim=16, rope_parameters=rope("default")),
                      dict(quantize="awq", group=32)),
    "qwen3-fp8": ("qwen3", dict(head_dim=16, tie_word_embeddings=True, rope_parameters=rope("default", 1000000.0)),
                  dict(quantize="fp8")),
    # DeepSeek: Multi-head Latent Attention (MLA), a dense first layer, then routed + shared experts
    "deepseek-v3": ("deepseek_v3", dict(num_key_value_heads=4, q_lora_rank=16, kv_lora_rank=16, qk_nope_head_dim=8,
                                        qk_rope_head_dim=4, v_head_dim=6, first_k_dense_replace=1, n_routed_experts=8,
                                        n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=16, n_group=4,
                                        topk_group=2, norm_topk_prob=True, routed_scaling_factor=2.5,
                                        rope_parameters=rope("yarn", factor=4.0, original_max_position_embeddings=16,
                                                             mscale=0.8, mscale_all_dim=1.0)),
                    dict(lora=["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj",
                               "up_proj", "down_proj"])),
    "deepseek-v2": ("deepseek_v2", dict(num_key_value_heads=4, q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8,
                                        qk_rope_head_dim=4, v_head_dim=6, first_k_dense_replace=1, n_routed_experts=8,
                                        n_shared_experts=2, num_experts_per_tok=2, moe_intermediate_size=16,
                                        topk_method="greedy", routed_scaling_factor=1.5, rope_parameters=rope("default")),
                    dict(lora=["q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj",
                               "down_proj"])),
    "deepseek-v2-group": ("deepseek_v2", dict(num_key_value_heads=4, q_lora_rank=16, kv_lora_rank=16, qk_nope_head_dim=8,
                                              qk_rope_head_dim=4, v_head_dim=8, first_k_dense_replace=0,
                                              n_routed_experts=8, n_shared_experts=1, num_experts_per_tok=3,
                                              moe_intermediate_size=16, topk_method="group_limited_greedy", n_group=4,
                                              topk_group=2, routed_scaling_factor=1.0, rope_parameters=rope("default")),
                          {}),
    # GLM-4-MoE: partial rotary in the half layout, q/k norms, biases on q, k, v; a dense first layer, then
    # DeepSeek-V3's sigmoid router (correction bias, groups) and a shared expert
    "glm4-moe": ("glm4_moe", dict(head_dim=16, partial_rotary_factor=0.5, attention_bias=True, use_qk_norm=True,
                                  first_k_dense_replace=1, n_routed_experts=8, n_shared_experts=1,
                                  num_experts_per_tok=2, moe_intermediate_size=16, n_group=4, topk_group=2,
                                  norm_topk_prob=True, routed_scaling_factor=2.5, rope_parameters=rope("default")),
                 dict(lora=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])),
    # dots.llm1: Qwen3's attention (per-head q/k norms) with DeepSeek-V3's MoE (a dense first layer, sigmoid router with
    # correction bias and groups, a shared expert)
    "dots1": ("dots1", dict(head_dim=HEAD_DIM, first_k_dense_replace=1, n_routed_experts=8, n_shared_experts=1,
                            num_experts_per_tok=2, moe_intermediate_size=16, n_group=4, topk_group=2, norm_topk_prob=True,
                            routed_scaling_factor=2.5, sliding_window=None, rope_parameters=rope("default")),
              dict(lora=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])),
    # MiniMax-M2: q/k RMS-normed over the whole projection, rotary over half of each head, sigmoid router with a
    # correction bias beside it (block_sparse_moe), experts w1/w3/w2 in every layer
    "minimax-m2": ("minimax_m2", dict(head_dim=HEAD_DIM, num_local_experts=4, num_experts_per_tok=2, intermediate_size=16,
                                      rope_parameters=rope("default", 5000000.0, partial_rotary_factor=0.5)),
                   dict(lora=["q_proj", "k_proj", "v_proj", "o_proj"])),
    # DeepSeek-V3.2: V3 with DeepSeek Sparse Attention: a lightning indexer (its own q from q_a's latent, one
    # LayerNormed key, ReLU scores weighted per head) keeps the index_topk best keys of each query; 4 < the 12-token
    # batch and its 8 new tokens, so the selection matters (the script checks that no selection is a near-tie)
    "deepseek-v32": ("deepseek_v32", dict(num_key_value_heads=4, q_lora_rank=16, kv_lora_rank=16, qk_nope_head_dim=8,
                                          qk_rope_head_dim=4, v_head_dim=6, first_k_dense_replace=1, n_routed_experts=8,
                                          n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=16, n_group=4,
                                          topk_group=2, norm_topk_prob=True, routed_scaling_factor=2.5, index_topk=4, num_experts=8,
                                          index_head_dim=8, index_n_heads=16, rope_parameters=rope("default")),
                     dict(lora=["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj",
                                "up_proj", "down_proj"], index_topk=4)),
    # GLM-5 (glm_moe_dsa): DeepSeek-V3.2's sparse attention and MoE under GLM's names and defaults, every layer's
    # indexer its own ("full")
    "glm-moe-dsa": ("glm_moe_dsa", dict(num_key_value_heads=4, q_lora_rank=16, kv_lora_rank=16, qk_nope_head_dim=8,
                                        qk_rope_head_dim=4, v_head_dim=6, first_k_dense_replace=1, n_routed_experts=8,
                                        n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=16, n_group=4,
                                        topk_group=2, norm_topk_prob=True, routed_scaling_factor=2.5, index_topk=5,
                                        index_head_dim=8, index_n_heads=16, rope_parameters=rope("default")),
                    dict(lora=["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj",
                               "up_proj", "down_proj"], index_topk=5)),
    # Hy3 (hy_v3): Qwen3's attention (per-head q/k norms), a dense first layer, then a sigmoid router with a
    # correction bias whose weights are renormalised and scaled (router_scaling_factor), and a shared expert
    "hy-v3": ("hy_v3", dict(head_dim=HEAD_DIM, num_experts=8, num_experts_per_tok=2, num_shared_experts=1,
                            moe_intermediate_size=16, router_scaling_factor=2.5, rope_parameters=rope("default")),
              # transformers renames shared_mlp to shared_experts in memory: the adapter stays on the attention
              dict(lora=["q_proj", "k_proj", "v_proj", "o_proj"])),
    # HunYuan MoE (hunyuan_v1_moe, Hunyuan-A13B): HunYuan's attention (q/k norms after RoPE, NTK alpha), every layer
    # a float32 softmax router (gate.wg) over experts as wide as intermediate_size, renormalised, plus a shared MLP
    "hunyuan-moe": ("hunyuan_v1_moe", dict(head_dim=HEAD_DIM, num_experts=4, moe_topk=2, intermediate_size=16,
                                           rope_parameters=rope("dynamic", alpha=1000.0, factor=1.0)),
                    dict(lora=["q_proj", "k_proj", "v_proj", "o_proj"])),
    # Qwen3-Next: gated DeltaNet linear attention (causal conv1d, the gated delta rule) in the layers layer_types names,
    # gated full attention (an output gate from q_proj, partial rotary) in the others, zero-centred RMSNorms (1 + w),
    # routed experts with a sigmoid-gated shared expert; a dense middle layer (mlp_only_layers)
    "qwen3-next": ("qwen3_next", dict(num_hidden_layers=3, head_dim=HEAD_DIM, partial_rotary_factor=0.5,
                                      layer_types=["linear_attention", "full_attention", "linear_attention"],
                                      linear_conv_kernel_dim=4, linear_key_head_dim=8, linear_value_head_dim=12,
                                      linear_num_key_heads=2, linear_num_value_heads=4, num_experts=4,
                                      num_experts_per_tok=2, moe_intermediate_size=16,
                                      shared_expert_intermediate_size=24, norm_topk_prob=True, decoder_sparse_step=1,
                                      mlp_only_layers=[1], rope_parameters=rope("default", 10000.0, partial_rotary_factor=0.5)),
                   dict(lora=["in_proj_qkvz", "in_proj_ba", "out_proj", "q_proj", "v_proj", "o_proj", "down_proj"])),
    "phi3-longrope": ("phi3", dict(rope_parameters=rope("longrope", short_factor=[1.0 + 0.1 * i for i in range(HEAD_DIM // 2)],
                                                        long_factor=[1.5 + 0.5 * i for i in range(HEAD_DIM // 2)]),
                                   original_max_position_embeddings=8), {}),
}

# Row 0 is full; row 1 is left-padded, as batched generation pads.
INPUT_IDS = [[1, 17, 93, 5, 44, 120, 8, 61, 33, 77, 12, 99],
             [0, 0, 0, 0, 0, 1, 64, 23, 87, 110, 3, 50]]
NEW_TOKENS = 8
SEED = 1234


def randomize(model, model_type):
    """Weights far from HF's small init, so logits are well separated and greedy choices are not near-ties."""
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name:
                # Gemma's and Qwen3-Next's RMSNorms multiply by 1 + weight (Qwen3-Next's gated output norm by weight)
                zero_centred = model_type.startswith("gemma") or (model_type == "qwen3_next" and "linear_attn" not in name)
                base = 0.0 if zero_centred else 1.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                # a tied table is also the head: smaller, or the logits of these tiny models saturate
                # (Gemma also scales its input by sqrt(hidden_size), which would make greedy repeat the last token)
                std = 0.1 if model_type.startswith("gemma") else 0.3 if model.config.tie_word_embeddings else 1.0
                p.copy_(std * torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(fan_in)))
        for name, b in model.named_buffers():
            if name.endswith("e_score_correction_bias"):  # DeepSeek-V3's router bias, a buffer the checkpoint stores
                b.copy_(0.3 * torch.randn(b.shape, generator=g))


def positions(mask):
    # generate()'s position ids: count the real tokens, so a left-padded row starts at 0
    return (mask.cumsum(-1) - 1).clamp(min=0)


def forward(model, ids, mask, labels):
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions(mask), labels=labels)
    return out.logits.float(), float(out.loss)


def lora_adapter(model, modules, rslora, folder, layer_type=torch.nn.Linear, fan_in_fan_out=False, skip=None):
    """A PEFT-format adapter with random A (r, in) and non-zero B (out, r) on the layer_type modules named in
    modules; returns a copy of the model with it merged. fan_in_fan_out: the layers store W as (in, out) (GPT-2's
    Conv1D), so the delta B A is transposed into it, as PEFT does. skip: leaves out modules whose name contains it
    (layers the causal LM never runs)."""
    g = torch.Generator().manual_seed(SEED + 1)
    r, alpha = 4, 8
    scale = alpha / math.sqrt(r) if rslora else alpha / r
    tensors = {}
    merged = {}
    for name, module in model.named_modules():
        if name.split(".")[-1] in modules and isinstance(module, layer_type) and not (skip and skip in name):
            rows, columns = module.weight.shape
            fan_in, fan_out = (rows, columns) if fan_in_fan_out else (columns, rows)
            a = torch.randn(r, fan_in, generator=g) * 0.3
            b = torch.randn(fan_out, r, generator=g) * 0.3
            tensors[f"base_model.model.{name}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{name}.lora_B.weight"] = b.contiguous()
            delta = scale * (b @ a)
            merged[name] = delta.T if fan_in_fan_out else delta
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=sorted(modules), use_rslora=rslora, fan_in_fan_out=fan_in_fan_out, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    copy = type(model)(model.config)
    copy.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, module in copy.named_modules():
            if name in merged:
                module.weight.add_(merged[name])
    return copy.eval(), list(merged)


def greedy(model, ids, mask):
    """generate()'s greedy tokens per row, cut after EOS, with the smallest top-1/top-2 gap met on the way."""
    model = copy.deepcopy(model)  # dynamic RoPE keeps the grown frequencies between calls: start fresh
    out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=NEW_TOKENS,
                         output_scores=True, return_dict_in_generate=True)
    new = out.sequences[:, ids.shape[1]:].tolist()
    rows, margin = [], float("inf")
    for b, row in enumerate(new):
        kept = []
        for step, token in enumerate(row):
            top = torch.topk(out.scores[step][b].float(), 2).values
            margin = min(margin, float(top[0] - top[1]))
            kept.append(token)
            if token == model.generation_config.eos_token_id:
                break
        rows.append(kept)
    return rows, margin


def greedy_cached(model, ids):
    """Greedy decoding by the model's forward and its KV cache, one token per step.

    generate() itself is not used for single rows: Phi-3's prepare_inputs_for_generation drops the cache
    where longrope switches to its long factors, and transformers 5.12 then runs that token without its
    context; this loop keeps the cached keys as every other model does."""
    model = copy.deepcopy(model)
    out = model(input_ids=ids, use_cache=True)
    tokens, margin = [], float("inf")
    for step in range(NEW_TOKENS):
        scores = out.logits[0, -1].float()
        top = torch.topk(scores, 2).values
        margin = min(margin, float(top[0] - top[1]))
        token = int(scores.argmax())
        tokens.append(token)
        if token == model.generation_config.eos_token_id:
            break
        position = torch.tensor([[ids.shape[1] + step]])
        out = model(input_ids=torch.tensor([[token]]), past_key_values=out.past_key_values, use_cache=True,
                    position_ids=position)
    return tokens, margin


QUANT_GROUP = 16  # group (GPTQ, AWQ) and block (FP8) size, small enough for these tiny layers
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]  # AutoAWQ packs output column 8c + AWQ_ORDER[k] into bits 4k..4k+3
LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def as_int32(packed):
    """Unsigned 32-bit patterns (in int64) as the int32 the checkpoint stores."""
    return ((packed + (1 << 31)) % (1 << 32) - (1 << 31)).to(torch.int32).contiguous()


def pack_along_rows(values, bits):
    """(n, m) ints in [0, 2^bits) to (n·bits/32, m) int32: rows 8r..8r+7 of a 4-bit column in one int32, low bits first."""
    per = 32 // bits
    v = values.to(torch.int64).reshape(-1, per, values.shape[1])
    packed = sum(v[:, k, :] << (bits * k) for k in range(per))
    return as_int32(packed)


def pack_along_columns(values, bits, order=None):
    """(n, m) ints to (n, m·bits/32) int32 packing consecutive columns, in AWQ's order when given."""
    per = 32 // bits
    v = values.to(torch.int64).reshape(values.shape[0], -1, per)
    order = order or list(range(per))
    packed = sum(v[:, :, order[k]] << (bits * k) for k in range(per))
    return as_int32(packed)


def quantize_linears(model, method, group=QUANT_GROUP):
    """Quantizes every decoder linear in place (the model then holds the dequantized weights, what a
    quantized checkpoint computes) and returns the tensors the checkpoint stores instead of each weight."""
    g = torch.Generator().manual_seed(SEED + 2)
    parts = {}
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.split(".")[-1] not in LINEARS:
                continue
            w = module.weight.float()  # (out, in)
            out_f, in_f = w.shape
            if method == "fp8":
                blocks = w.reshape(out_f // group, group, in_f // group, group)
                scale = (blocks.abs().amax(dim=(1, 3)) / 448.0).clamp(min=1e-12)  # (out/16, in/16)
                q = (blocks / scale[:, None, :, None]).to(torch.float8_e4m3fn)
                deq = (q.float() * scale[:, None, :, None]).reshape(out_f, in_f)
                parts[name + ".weight"] = q.reshape(out_f, in_f)
                parts[name + ".weight_scale_inv"] = scale.contiguous()
            elif method == "gptq":
                # symmetric 4 bits (zero point 8), desc_act: input rows join groups in a shuffled order (g_idx)
                g_idx = (torch.randperm(in_f, generator=g) // group).to(torch.int32)
                groups = in_f // group
                scales = torch.zeros(groups, out_f)
                for grp in range(groups):
                    scales[grp] = w[:, g_idx == grp].abs().amax(dim=1) / 7.0
                scales = scales.clamp(min=1e-8).half().float()  # stored as F16: dequantize with what is stored
                s_rows = scales[g_idx.long()]  # (in, out)
                q = (torch.round(w.t() / s_rows) + 8).clamp(0, 15).to(torch.int32)  # (in, out)
                deq = ((q - 8).float() * s_rows).t()
                zeros = torch.full((groups, out_f), 8 - 1, dtype=torch.int32)  # GPTQ v1 stores zero - 1
                parts[name + ".qweight"] = pack_along_rows(q, 4)
                parts[name + ".qzeros"] = pack_along_columns(zeros, 4)
                parts[name + ".scales"] = scales.half()
                parts[name + ".g_idx"] = g_idx
            elif method == "awq":
                wt = w.t().reshape(in_f // group, group, out_f)  # (groups, 16, out)
                lo, hi = wt.amin(dim=1), wt.amax(dim=1)  # (groups, out)
                scales = ((hi - lo) / 15.0).clamp(min=1e-8).half().float()
                zeros = torch.round(-lo / scales).clamp(0, 15)
                q = (torch.round(wt / scales[:, None, :]) + zeros[:, None, :]).clamp(0, 15)
                deq = ((q - zeros[:, None, :]) * scales[:, None, :]).reshape(in_f, out_f).t()
                parts[name + ".qweight"] = pack_along_columns(q.reshape(in_f, out_f).to(torch.int32), 4, AWQ_ORDER)
                parts[name + ".qzeros"] = pack_along_columns(zeros.to(torch.int32), 4, AWQ_ORDER)
                parts[name + ".scales"] = scales.half()
            module.weight.copy_(deq)
    return parts


QUANT_CONFIG = {
    "gptq": dict(quant_method="gptq", bits=4, group_size=QUANT_GROUP, desc_act=True, sym=True, checkpoint_format="gptq"),
    "awq": dict(quant_method="awq", bits=4, group_size=QUANT_GROUP, zero_point=True, version="gemm"),
    "fp8": dict(quant_method="fp8", activation_scheme="dynamic", weight_block_size=[QUANT_GROUP, QUANT_GROUP]),
}


def save_quantized(model, parts, method, folder, group=QUANT_GROUP):
    """The dense model's folder with each quantized linear's weight replaced by its parts."""
    model.save_pretrained(folder)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    for module in [k[: -len(".qweight")] for k in parts if k.endswith(".qweight")]:
        del state[module + ".weight"]  # GPTQ and AWQ store the packed parts instead (FP8 replaces it below)
    state.update({k: v.contiguous() for k, v in parts.items()})
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    for f in os.listdir(folder):
        if f.endswith(".safetensors"):
            os.remove(os.path.join(folder, f))
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    config_file = os.path.join(folder, "config.json")
    with open(config_file) as f:
        config = json.load(f)
    config["quantization_config"] = dict(QUANT_CONFIG[method])
    if "group_size" in config["quantization_config"]:
        config["quantization_config"]["group_size"] = group
    with open(config_file, "w") as f:
        json.dump(config, f, indent=2)


TOPK = torch.Tensor.topk


def watch_index_selection(k):
    """Records, for every top-k of a DSA indexer (index scores (B, S, T), k of T), the gap between the k-th and the
    next unmasked score: a selection whose gap is a rounding error could differ in another implementation."""
    gaps = []

    def topk(self, count, dim=-1, *args, **kwargs):
        if self.dim() == 3 and count == k and self.shape[-1] > k and self.is_floating_point():
            ordered = TOPK(self.float(), k + 1, dim=-1).values  # (B, S, k + 1)
            real = ordered[..., k] > -1e30  # only where a (k+1)-th key is visible
            if real.any():
                gaps.append(float((ordered[..., k - 1] - ordered[..., k])[real].min()))
        return TOPK(self, count, dim, *args, **kwargs)

    torch.Tensor.topk = topk
    return gaps


def make(name, model_type, overrides, options, out_dir):
    torch.manual_seed(SEED)
    kwargs = dict(TINY)
    kwargs.update(overrides)
    config = AutoConfig.for_model(model_type, **kwargs)
    config._attn_implementation = "eager"
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    for module in model.modules():
        if type(module).__name__ == "DeepseekV2Moe" and not hasattr(module, "num_experts"):
            # transformers 5.12's group_limited_greedy reads an attribute DeepseekV2Moe never sets
            module.num_experts = config.n_routed_experts
    randomize(model, model_type)
    folder = os.path.join(out_dir, name)
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    dtype = options.get("dtype", torch.float32)
    if "quantize" in options:
        method = options["quantize"]
        group = options.get("group", QUANT_GROUP)
        save_quantized(model, quantize_linears(model, method, group), method, folder, group)
        if method == "fp8":
            # transformers reads fine-grained FP8 itself (dequantizing on a machine without a GPU): its model is the reference
            loaded = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
            for (n, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
                assert torch.allclose(a, b.float(), atol=1e-6), f"transformers dequantizes {n} differently"
            loaded.generation_config = model.generation_config
            model = loaded
    elif dtype != torch.float32:
        with torch.no_grad():  # round the weights only: buffers such as RoPE's inv_freq stay float32
            for p in model.parameters():
                p.copy_(p.to(dtype).float())
        stored = type(model)(model.config)
        stored.load_state_dict(model.state_dict())
        stored.generation_config = model.generation_config
        stored.to(dtype).save_pretrained(folder, max_shard_size=options.get("shard", "50GB"))
    else:
        model.save_pretrained(folder, max_shard_size=options.get("shard", "50GB"))

    ids = torch.tensor(INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    # a left-padded row's first token would be predicted from a padding position, whose logits no one
    # defines (transformers includes that term): it is not a label
    labels = ids.masked_fill(mask == 0, -100).masked_fill(positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="position ids count the real tokens of each row, as generate() does",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=positions(mask).tolist(),
               labels=labels.tolist())
    selection_gaps = []
    if "index_topk" in options:
        selection_gaps = watch_index_selection(options["index_topk"])
    with torch.no_grad():
        logits, loss = forward(model, ids, mask, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = greedy(model, ids, mask)
        # each row alone too: with dynamic and longrope scaling, the frequencies follow the batch's longest row
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            row, row_margin = greedy_cached(model, real)
            alone.append(row)
            margin = min(margin, row_margin)
            generated, _ = greedy(model, real, torch.ones_like(real))
            if generated[0] != row:
                print(f"  {name} row {b}: generate() gives {generated[0]}, the model's forward with its cache {row}")
        ref["greedy"] = dict(max_new_tokens=NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        if "lora" in options:
            merged, adapted = lora_adapter(model, options["lora"], options.get("rslora", False), os.path.join(folder, "adapter"))
            lora_logits, lora_loss = forward(merged, ids, mask, labels)
            ref["lora"] = dict(folder="adapter", modules=sorted(adapted), logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()),
                               loss=lora_loss)
    if "index_topk" in options:
        torch.Tensor.topk = TOPK
        gap = min(selection_gaps)
        assert gap > 1e-3, f"{name}: an indexer selection is a near-tie ({gap})"
        ref["index_selection_min_gap"] = gap
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (mt, over, opts) in CASES.items():
        if not only or case in only:
            make(case, mt, over, opts, out)
