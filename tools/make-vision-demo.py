#!/usr/bin/env python3
"""Makes the vision demo shipped in distribution/src/main/dist/demo: a tiny Qwen2-VL base model with random weights
(demo/tiny-vl: transformers' own from_config + save_pretrained, a word-level tokenizer with Qwen2-VL's vision tokens,
Qwen2-VL's image processor settings) and a self-made image dataset (demo/vision: 24 pictures of coloured shapes
drawn here, squares and circles of four colours in three sizes, and a row per picture asking its colour). `osprey sft --config demo/vision-sft.yaml`
teaches the model to answer from the picture.

Run in the Debian sid chroot (docs/architecture.md): chroot /srv/sid python3 /work/main/tools/make-vision-demo.py
"""
import json
import os
import random
import sys

import torch
from PIL import Image, ImageDraw
from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "distribution", "src", "main", "dist", "demo")
MODEL = os.path.join(ROOT, "tiny-vl")
DATA = os.path.join(ROOT, "vision")

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (235, 210, 40)}
SHAPES = ["square", "circle"]
SIZE = 48  # pixels: 6 x 6 patches of 8, merged 2 x 2 into 9 image tokens

WORDS = ["what", "colour", "is", "the", "shape", "?", "it", "a", "in", "picture", "which", "this", "."]
WORDS += list(COLOURS) + SHAPES
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VISION = ["<|vision_start|>", "<|image_pad|>", "<|video_pad|>", "<|vision_end|>"]


def tokenizer():
    vocab = {t: i for i, t in enumerate(SPECIAL + ["[UNK]", "user", "assistant", "system", "\n"] + WORDS)}
    for t in VISION:
        vocab[t] = len(vocab)
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in SPECIAL + VISION
    ]
    return vocab, {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }


# Qwen2-VL's template, shortened: images become <|vision_start|><|image_pad|><|vision_end|> and videos
# <|vision_start|><|video_pad|><|vision_end|>, which the processor widens to one pad per merged patch
TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + ' ' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content or 'video_url' in content %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>' + ' ' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant ' }}{% endif %}"
)


def model(vocab):
    config = Qwen2VLConfig(
        text_config={
            "vocab_size": len(vocab), "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
            "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "bos_token_id": None,
            "eos_token_id": vocab["<|im_end|>"], "pad_token_id": vocab["<|endoftext|>"],
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
        },
        vision_config={
            "depth": 2, "embed_dim": 32, "hidden_size": 64, "num_heads": 2, "mlp_ratio": 2, "patch_size": 8,
            "spatial_merge_size": 2, "temporal_patch_size": 2, "in_channels": 3, "hidden_act": "quick_gelu",
        },
        image_token_id=vocab["<|image_pad|>"], video_token_id=vocab["<|video_pad|>"],
        vision_start_token_id=vocab["<|vision_start|>"], vision_end_token_id=vocab["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    return Qwen2VLForConditionalGeneration(config).eval()


def picture(colour, shape, variant, rng):
    """A coloured shape on a light, slightly noisy background; its size and place change with the variant."""
    background = tuple(200 + rng.randrange(40) for _ in range(3))
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    side = 20 + 6 * variant
    x, y = rng.randrange(2, SIZE - side - 1), rng.randrange(2, SIZE - side - 1)
    box = (x, y, x + side, y + side)
    (draw.rectangle if shape == "square" else draw.ellipse)(box, fill=COLOURS[colour])
    return image


def main():
    vocab, tok = tokenizer()
    os.makedirs(MODEL, exist_ok=True)
    model(vocab).save_pretrained(MODEL, safe_serialization=True)
    with open(os.path.join(MODEL, "tokenizer.json"), "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(MODEL, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": TEMPLATE, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                   "bos_token": None, "add_bos_token": False, "model_max_length": 512}, f, indent=1)
    with open(os.path.join(MODEL, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "Qwen2VLImageProcessor", "do_resize": True, "do_rescale": True,
                   "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True,
                   "image_mean": [0.48145466, 0.4578275, 0.40821073],
                   "image_std": [0.26862954, 0.26130258, 0.27577711],
                   "min_pixels": SIZE * SIZE, "max_pixels": SIZE * SIZE, "patch_size": 8,
                   "temporal_patch_size": 2, "merge_size": 2}, f, indent=1)

    rng = random.Random(0)
    os.makedirs(os.path.join(DATA, "images"), exist_ok=True)
    rows = []
    for colour in COLOURS:
        for shape in SHAPES:
            for variant in range(3):
                name = f"images/{colour}-{shape}-{variant}.png"
                picture(colour, shape, variant, rng).save(os.path.join(DATA, name))
                rows.append({"messages": [{"role": "user", "content": "<image>what colour is the shape ?"},
                                          {"role": "assistant", "content": colour}], "images": [name]})
    with open(os.path.join(DATA, "train.jsonl"), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    print(f"wrote {MODEL} ({sum(p.numel() for p in model(vocab).parameters())} parameters) and {len(rows)} rows",
          file=sys.stderr)


if __name__ == "__main__":
    main()
