#!/usr/bin/env python3
"""Gemma 3 pan-and-scan through transformers' Gemma3Processor: the reference of Osprey's Gemma 3 prompt path with
do_pan_and_scan on (plugins-models/gemma-vision, Gemma3PanAndScanTest).

Writes plugins-models/gemma-vision/src/test/resources/reference/gemma3-pan-and-scan beside the tiny gemma3-vision
checkpoint (tools/make-siglip-fixtures.py): three drawn PNGs (wide 96x32: three crops; tall 24x80: three crops; square
40x40: none), a preprocessor_config.json with pan-and-scan on at the
fixture's 32-pixel tower (min crop 8 pixels), a word-level tokenizer.json ("wN" is id N) that also knows the words of
the processor's "Here is the original image ... and here are some crops to help you see better" text, a chat template
writing <start_of_image> per image part, and images.json: the messages, the prompt as Osprey's encoder gives it, the
processor's input_ids and pixel values (pixel_values.safetensors), the model's logits on them
(logits.safetensors) and its greedy tokens.

Run in the Debian sid chroot:
    chroot /srv/sid python3 /work/wt-NAME/tools/make-gemma3-pan-and-scan-fixtures.py /work/wt-NAME
"""
import json
import sys
from pathlib import Path

import torch
import transformers
from PIL import Image, ImageDraw
from safetensors.torch import save_file

root = Path(sys.argv[1])
GEMMA = root / "plugins-models/gemma-vision/src/test/resources/reference"
OUT = GEMMA / "gemma3-pan-and-scan"
NEW_TOKENS = 8
PAD, EOS, BOS, NEWLINES = 0, 1, 2, 108
ADDED = {"<pad>": PAD, "<eos>": EOS, "<bos>": BOS, "\n\n": NEWLINES, "<start_of_image>": 150, "<end_of_image>": 151,
         "<image_soft_token>": 152}
# the words of Gemma3Processor's text around the crops, at ids the prompt's words leave free
WORDS = "Here is the original image and here are some crops to help you see better".split()
PHRASE = {w: 120 + i for i, w in enumerate(WORDS)}


def picture(width, height, seed):
    img = Image.new("RGB", (width, height))
    px = img.load()
    for y in range(height):
        for x in range(width):
            px[x, y] = ((x * 37 + seed * 11) % 256, (y * 53 + seed * 29) % 256, ((x + y) * 19 + seed) % 256)
    d = ImageDraw.Draw(img)
    d.ellipse([2, 3, width - 4, height - 2], outline=(250, 240, 10))
    d.line([0, height - 1, width - 1, 0], fill=(10, 20, 200))
    return img


def tokenizer_json():
    taken = set(ADDED.values()) | set(PHRASE.values())
    vocab = {f"w{i}": i for i in range(150) if i not in taken}
    vocab.update(PHRASE)
    vocab.update(ADDED)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t, i in ADDED.items()],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "w3"},
    }


TEMPLATE = ("{% for message in messages %}{% if message['role'] == 'assistant' %}w4 {% endif %}"
            "{% if message['content'] is string %}{{ message['content'] }}"
            "{% else %}{% for content in message['content'] %}"
            "{% if content['type'] == 'image' %}<start_of_image>"
            "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}{{ ' ' }}"
            "{% endfor %}"
            "{% if add_generation_prompt %}w4{% endif %}")
PICTURES = {"wide.png": (96, 32, 1), "tall.png": (24, 80, 2), "square.png": (40, 40, 3)}
# a space ends the text before each image: the processor rewrites the text, so "w5" right before "Here" would be
# one unknown word to it, while Osprey splices the crops' text in as tokens after the prompt's
MESSAGES = [{"role": "user", "content": [
    {"type": "image", "image": "wide.png"}, {"type": "text", "text": "w93 w5 "},
    {"type": "image", "image": "tall.png"}, {"type": "text", "text": "w8 w61 "},
    {"type": "image", "image": "square.png"}, {"type": "text", "text": "w17"}]}]

OUT.mkdir(parents=True, exist_ok=True)
for name, (w, h, seed) in PICTURES.items():
    picture(w, h, seed).save(OUT / name)
(OUT / "tokenizer.json").write_text(json.dumps(tokenizer_json()) + "\n")
special = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
           "extra_special_tokens": {"image_token": "<image_soft_token>", "boi_token": "<start_of_image>",
                                    "eoi_token": "<end_of_image>"}}
(OUT / "tokenizer_config.json").write_text(json.dumps(dict(chat_template=TEMPLATE, model_max_length=512, **special),
                                                      indent=1) + "\n")
# google/gemma-3-4b-it's preprocessor_config.json at the fixture's 32-pixel tower, pan-and-scan on, crops of 8+ pixels
pre = dict(do_convert_rgb=None, do_normalize=True, do_rescale=True, do_resize=True, image_mean=[0.5, 0.5, 0.5],
           image_std=[0.5, 0.5, 0.5], resample=2, rescale_factor=1 / 255, size=dict(height=32, width=32),
           image_processor_type="Gemma3ImageProcessor", processor_class="Gemma3Processor", do_pan_and_scan=True,
           image_seq_length=4, pan_and_scan_max_num_crops=4, pan_and_scan_min_crop_size=8,
           pan_and_scan_min_ratio_to_activate=1.2)
(OUT / "preprocessor_config.json").write_text(json.dumps(pre, indent=1) + "\n")

tok = transformers.PreTrainedTokenizerFast(tokenizer_file=str(OUT / "tokenizer.json"), **special)
tok.chat_template = TEMPLATE
processor = transformers.Gemma3Processor(image_processor=transformers.AutoImageProcessor.from_pretrained(OUT),
                                         tokenizer=tok, image_seq_length=4)
text = tok.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
pieces = text.split("<start_of_image>")
prompt, positions = [], []
for i, piece in enumerate(pieces):
    if i > 0:
        positions.append(len(prompt))
    prompt += tok(piece, add_special_tokens=False)["input_ids"]
imgs = [Image.open(OUT / n).convert("RGB") for n in PICTURES]
# Gemma3Processor passes the image processor its own pan-and-scan defaults (off, crops of 256+), so the config's
# values go in as the call's keyword arguments, as a caller (ms-swift's processor kwargs) turns pan-and-scan on
inputs = processor(images=[imgs], text=text, return_tensors="pt", return_mm_token_type_ids=True,
                   **{k: pre[k] for k in ("do_pan_and_scan", "pan_and_scan_min_crop_size", "pan_and_scan_max_num_crops",
                                          "pan_and_scan_min_ratio_to_activate")})
model = transformers.Gemma3ForConditionalGeneration.from_pretrained(GEMMA / "gemma3-vision",
                                                                   dtype=torch.float32).eval()
with torch.no_grad():
    logits = model(**inputs).logits[0]
    gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, output_scores=True,
                         return_dict_in_generate=True)
ids = inputs["input_ids"]
gaps = [float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in gen.scores]
pv = inputs["pixel_values"]
save_file({"pixel_values": pv.contiguous()}, OUT / "pixel_values.safetensors", metadata={"format": "pt"})
save_file({"logits": logits.contiguous()}, OUT / "logits.safetensors", metadata={"format": "pt"})
ref = dict(prompt=text, prompt_ids=prompt, media_positions=positions, input_ids=ids[0].tolist(),
           pixel_values_shape=list(pv.shape),
           greedy={"max_new_tokens": NEW_TOKENS, "tokens": gen.sequences[0, ids.shape[1]:].tolist(),
                   "smallest_top2_gap": min(gaps)},
           transformers_version=transformers.__version__, messages=MESSAGES)
(OUT / "images.json").write_text(json.dumps(ref, indent=1) + "\n")
print(json.dumps({k: v for k, v in ref.items() if k not in ("input_ids", "prompt_ids", "messages")}))
