#!/usr/bin/env python3
"""Writes a random Llama-shaped checkpoint in Hugging Face format, one tensor at a time, so a 7B-shaped
F16 model (13.5 GB) can be made on a machine that could not hold it in F32. For benchmarks only
(`osprey create-model` makes small models; it builds the whole model in memory first).

usage: tools/random-llama-checkpoint.py OUT_DIR [--preset 7b|1.1b]   (needs numpy)
"""
import json, struct, sys, pathlib
import numpy as np

PRESETS = {"7b": (32000, 4096, 11008, 32, 32, 32), "1.1b": (32000, 2048, 5632, 22, 32, 4)}
out = pathlib.Path(sys.argv[1])
vocab, hidden, inter, layers, heads, kv = PRESETS[sys.argv[3] if len(sys.argv) > 3 else "7b"]
head_dim = hidden // heads
shapes = {"model.embed_tokens.weight": (vocab, hidden), "model.norm.weight": (hidden,), "lm_head.weight": (vocab, hidden)}
for i in range(layers):
    p = f"model.layers.{i}."
    shapes.update({p + "self_attn.q_proj.weight": (hidden, hidden), p + "self_attn.k_proj.weight": (kv * head_dim, hidden),
                   p + "self_attn.v_proj.weight": (kv * head_dim, hidden), p + "self_attn.o_proj.weight": (hidden, hidden),
                   p + "mlp.gate_proj.weight": (inter, hidden), p + "mlp.up_proj.weight": (inter, hidden),
                   p + "mlp.down_proj.weight": (hidden, inter), p + "input_layernorm.weight": (hidden,),
                   p + "post_attention_layernorm.weight": (hidden,)})
header, offset = {"__metadata__": {"format": "pt"}}, 0
for name in sorted(shapes):
    size = int(np.prod(shapes[name])) * 2
    header[name] = {"dtype": "F16", "shape": list(shapes[name]), "data_offsets": [offset, offset + size]}
    offset += size
raw = json.dumps(header).encode()
raw += b" " * (-len(raw) % 8)
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)
with open(out / "model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw)
    for name in sorted(shapes):
        if name.endswith("norm.weight"):
            f.write(np.ones(shapes[name], dtype=np.float16).tobytes())
        else:
            f.write((rng.standard_normal(shapes[name], dtype=np.float32) * 0.02).astype(np.float16).tobytes())
config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab, "hidden_size": hidden,
          "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
          "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
          "hidden_act": "silu", "torch_dtype": "float16", "bos_token_id": 1, "eos_token_id": 2}
(out / "config.json").write_text(json.dumps(config, indent=2))
print(f"wrote {sum(int(np.prod(s)) for s in shapes.values()):,} parameters to {out}")
