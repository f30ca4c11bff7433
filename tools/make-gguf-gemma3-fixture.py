#!/usr/bin/env python3
"""The 6-layer Gemma 3 text checkpoint of the GGUF tests: llama.cpp makes every 6th Gemma 3 layer global and the
others sliding, whatever transformers' layer_types say, so a file it agrees with needs six layers for one global
one. Layer i is the 2-layer reference's layer i % 2 (plugins-models/gemma/.../reference/gemma3-text), layer_types
follow llama.cpp's pattern, query_pre_attn_scalar is head_dim (llama.cpp scales queries by 1/sqrt(head_dim)) and
the head is the embedding (llama.cpp's gemma3 has no other).

    python3 tools/make-gguf-gemma3-fixture.py          (from the repository root; plain Python, no torch)
"""
import json
import re
import struct

SOURCE = "plugins-models/gemma/src/test/resources/reference/gemma3-text"
TARGET = "bundles/export/src/test/resources/gguf/gemma3-text-6"
LAYERS = 6


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, shape, blob = tensors[name]
        header[name] = dict(dtype=dtype, shape=shape, data_offsets=[offset, offset + len(blob)])
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def main():
    tensors = read(f"{SOURCE}/model.safetensors")
    out = {}
    for name, t in tensors.items():
        m = re.match(r"model\.layers\.(\d+)\.(.*)", name)
        if name == "lm_head.weight":
            continue  # llama.cpp's gemma3 uses the embedding as the head
        if not m:
            out[name] = t
            continue
        for layer in range(int(m.group(1)), LAYERS, 2):
            out[f"model.layers.{layer}.{m.group(2)}"] = t
    write(f"{TARGET}/model.safetensors", out)
    with open(f"{SOURCE}/config.json") as f:
        config = json.load(f)
    config.update(num_hidden_layers=LAYERS, query_pre_attn_scalar=config["head_dim"], tie_word_embeddings=True,
                  layer_types=["full_attention" if i % 6 == 5 else "sliding_attention" for i in range(LAYERS)])
    config["_sliding_window_pattern"] = 6
    with open(f"{TARGET}/config.json", "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
