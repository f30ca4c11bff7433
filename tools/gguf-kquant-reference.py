#!/usr/bin/env python3
"""The k-quant GGUF check: Osprey's q4_k_m / q5_k_m / q6_k files against llama.cpp's own llama-quantize.

    python3 tools/gguf-kquant-reference.py make DIR
        writes the check's Llama checkpoint to DIR (config.json, model.safetensors in F32): rows of 256 and of 288
        values, so the mixes use Q4_K/Q5_K/Q6_K and their 32-block fallbacks (Q5_0, Q5_1, Q8_0). Its weights come
        from a formula, the same as GgufKQuantTest's in bundles/export, so no weights are committed: a 32-bit LCG
        seeded by the CRC-32 of the tensor's name, each value ((state >> 16) - 32768) / 2^19, exact in F32.

    python3 tools/gguf-kquant-reference.py compare OUT.json DIR/f32.gguf TYPE=OSPREY.gguf [TYPE=OSPREY.gguf ...]
        runs `llama-quantize F32 TYPE` for each type, compares every tensor's type and bytes with Osprey's file,
        dequantizes Osprey's with gguf-py, runs llama-server on both files for greedy tokens (as
        gguf-llamacpp-reference.py does) and writes it all, with the SHA-256 of Osprey's file, to OUT.json.

Run in a Debian chroot with llama.cpp-tools, python3-gguf and python3-numpy (tools/gguf-llamacpp-reference.sh).
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CONFIG = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=256, intermediate_size=288,
              num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, vocab_size=128,
              max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0, hidden_act="silu",
              tie_word_embeddings=False, torch_dtype="float32", bos_token_id=1, eos_token_id=2)


def shapes():
    h, i, v = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["vocab_size"]
    kv = h // CONFIG["num_attention_heads"] * CONFIG["num_key_value_heads"]
    out = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,), "lm_head.weight": (v, h)}
    for layer in range(CONFIG["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        out.update({p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
                    p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (kv, h),
                    p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, h),
                    p + "mlp.gate_proj.weight": (i, h), p + "mlp.up_proj.weight": (i, h),
                    p + "mlp.down_proj.weight": (h, i)})
    return out


def values(name, count):
    state = zlib.crc32(name.encode())
    out = np.empty(count, dtype=np.float32)
    for k in range(count):
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        out[k] = ((state >> 16) - 32768) / 524288.0
    if name.endswith("norm.weight"):
        out += np.float32(1)  # norms near one, as trained ones are
    return out


def make(folder):
    os.makedirs(folder, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name, shape in sorted(shapes().items()):
        data = values(name, int(np.prod(shape))).tobytes()
        header[name] = dict(dtype="F32", shape=list(shape), data_offsets=[offset, offset + len(data)])
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(os.path.join(folder, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=1)


def compare(out_path, f32_path, pairs):
    from gguf import GGUFReader
    from gguf.quants import dequantize
    llamacpp = load_reference_module()
    result = dict(llama_cpp=subprocess.run(["llama-server", "--version"], capture_output=True, text=True)
                  .stderr.strip())
    original = {t.name: np.array(t.data, dtype=np.float32) for t in GGUFReader(f32_path).tensors}
    for pair in pairs:
        kind, ours = pair.split("=", 1)
        theirs = os.path.join(os.path.dirname(ours), f"llama-quantize-{kind}.gguf")
        subprocess.run(["llama-quantize", f32_path, theirs, kind.upper()], check=True, capture_output=True)
        a = {t.name: t for t in GGUFReader(ours).tensors}
        b = {t.name: t for t in GGUFReader(theirs).tensors}
        tensors = {}
        for name in sorted(b):
            mine, ref = a[name], b[name]
            deq = dequantize(mine.data, mine.tensor_type).reshape(-1)
            orig = original[name].reshape(-1)
            tensors[name] = dict(
                type=mine.tensor_type.name, llama_quantize_type=ref.tensor_type.name,
                identical_bytes=bool(mine.tensor_type == ref.tensor_type
                                     and bytes(mine.data.tobytes()) == bytes(ref.data.tobytes())),
                relative_error=round(float(np.linalg.norm(deq - orig) / np.linalg.norm(orig)), 6))
        with open(ours, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        entry = dict(sha256=sha, tensors=tensors,
                     identical=sum(t["identical_bytes"] for t in tensors.values()), of=len(tensors),
                     osprey_file=llamacpp.greedy(ours), llama_quantize_file=llamacpp.greedy(theirs))
        print(kind, entry["identical"], "of", entry["of"], "tensors byte-identical;",
              entry["osprey_file"]["tokens"], entry["llama_quantize_file"]["tokens"], file=sys.stderr)
        result[kind] = entry
    result["f32"] = llamacpp.greedy(f32_path)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def load_reference_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "llamacpp_reference", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gguf-llamacpp-reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4:])
