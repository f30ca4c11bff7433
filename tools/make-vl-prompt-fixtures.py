#!/usr/bin/env python3
"""Images through InternVL's, PaliGemma's and Gemma 3's own prompt code: the reference of their prompt path (the chat
template's placeholder expanded into the family's image tokens, pixel values from real PNG files, greedy tokens).

For each tiny checkpoint of tools/make-internvl-fixtures.py and tools/make-siglip-fixtures.py this writes a folder
NAME-images beside it with two drawn PNGs, the processor's config, a tokenizer.json (word level: "wN" is id N, the
family's special tokens as added tokens at the fixture's ids), a tokenizer_config.json whose chat template writes the
family's placeholder per image part, and images.json: the messages, the prompt as Osprey's encoder gives it (the ids
with each placeholder cut out, and where), the ids and pixel values the family's own code makes of the conversation,
and its greedy tokens.

- internvl-chat (InternVLChatModel, remote code): OpenGVLab's path, run from its published code
  (internvl_chat/internvl of github.com/OpenGVLab/InternVL, unpacked outside this repository): load_image's
  build_transform + dynamic_preprocess (dataset.py), chat()'s '<image>' replaced by <img><IMG_CONTEXT>x N</img> per
  image, then the model's generate().
- internvl-hf (InternVLForConditionalGeneration): transformers' InternVLProcessor and generate().
- paligemma: transformers' PaliGemmaProcessor (image tokens, BOS, prompt, "\\n") and generate().
- gemma3-vision: transformers' Gemma3Processor (pan-and-scan off) and generate().

Run in the Debian sid chroot:
    chroot /srv/sid python3 /work/wt-NAME/tools/make-vl-prompt-fixtures.py /work/wt-NAME REMOTE_CODE_DIR [CASE...]
"""
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

import torch
import transformers
from PIL import Image, ImageDraw
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
root = Path(sys.argv[1])
remote = sys.argv[2]
cases = sys.argv[3:] or ["internvl-chat", "internvl-hf", "paligemma", "gemma3-vision"]
NEW_TOKENS = 8


def module(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


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


def tokenizer_json(added, vocab=150):
    """A word-level tokenizer: "wN" is id N; added tokens (matched before the whitespace split) at their ids, which
    the words leave free (in the vocabulary too, or transformers renumbers them)."""
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t, i in added.items()],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": dict({f"w{i}": i for i in range(vocab) if i not in added.values()}, **added),
                  "unk_token": "w3"},
    }


def template(image_text):
    """Writes each message's parts (an image as image_text), a space after each message, and "w4" to prompt, which
    also opens each answer (so a training row's answer follows its prompt as generated). The
    space is an expression: Osprey's Jinja drops a literal space between two block tags, Hugging Face's keeps it."""
    return ("{% for message in messages %}{% if message['role'] == 'assistant' %}w4 {% endif %}"
            "{% if message['content'] is string %}{{ message['content'] }}"
            "{% else %}{% for content in message['content'] %}"
            "{% if content['type'] == 'image' %}" + image_text +
            "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}{{ ' ' }}"
            "{% endfor %}"
            "{% if add_generation_prompt %}w4{% endif %}")


MESSAGES = [{"role": "user", "content": [{"type": "image", "image": "a.png"}, {"type": "text", "text": "w93 w5"},
                                         {"type": "image", "image": "b.png"}, {"type": "text", "text": "w8 w61"}]}]


def write_folder(out, added, image_text, extra_config=None, special=None):
    out.mkdir(parents=True, exist_ok=True)
    # a 2:1 picture (two tiles and a thumbnail for InternVL) and a near-square one (one tile)
    for name, img in (("a.png", picture(32, 16, 1)), ("b.png", picture(20, 22, 2))):
        img.save(out / name)
    (out / "tokenizer.json").write_text(json.dumps(tokenizer_json(added)) + "\n")
    config = {"chat_template": template(image_text), "model_max_length": 512}
    config.update(extra_config or {})
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=1) + "\n")
    tok = transformers.PreTrainedTokenizerFast(tokenizer_file=str(out / "tokenizer.json"), **(special or {}))
    tok.chat_template = config["chat_template"]
    return tok


def rendered(tok):
    return tok.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)


def encoder_prompt(tok, text, placeholder):
    """What Osprey's prompt encoder gives: the text's ids with each placeholder cut out, and where each was."""
    pieces = text.split(placeholder)
    ids, positions = [], []
    for i, piece in enumerate(pieces):
        if i > 0:
            positions.append(len(ids))
        ids += tok(piece, add_special_tokens=False)["input_ids"]
    return ids, positions


def images(out):
    return [Image.open(out / "a.png").convert("RGB"), Image.open(out / "b.png").convert("RGB")]


def summary(pv):
    flat = pv.reshape(pv.shape[0], -1)
    return {"pixel_values_shape": list(pv.shape), "pixel_values_sum": float(pv.double().sum()),
            "pixel_values_abs_sum": float(pv.double().abs().sum()),
            "pixel_values_first": flat[0, :8].tolist(), "pixel_values_last": flat[-1, -8:].tolist()}


def greedy(out_gen, prompt_length, generated_from_embeddings=False):
    new = out_gen.sequences[0] if generated_from_embeddings else out_gen.sequences[0, prompt_length:]
    gaps = [float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in out_gen.scores]
    return {"max_new_tokens": NEW_TOKENS, "tokens": new.tolist(), "smallest_top2_gap": min(gaps)}


def write(out, ref, pixel_values):
    save_file({"pixel_values": pixel_values.contiguous()}, out / "pixel_values.safetensors", metadata={"format": "pt"})
    ref = dict(ref, transformers_version=transformers.__version__, messages=MESSAGES)
    (out / "images.json").write_text(json.dumps(ref, indent=1) + "\n")
    print(out.name, json.dumps({k: v for k, v in ref.items() if k not in ("input_ids", "prompt_ids", "messages",
                                                                          "pixel_values_first", "pixel_values_last")}))


# --- InternVL ------------------------------------------------------------------------------------------------------

INTERNVL = root / "plugins-models/internvl/src/test/resources/reference"
IMG_START, IMG_END, IMG_CONTEXT, IMAGE_TAG = 150, 151, 152, 153


def internvl_chat():
    fixtures = module("internvl_fixtures", "make-internvl-fixtures.py")
    media = module("internvl_media", "make-internvl-media-fixtures.py")
    dataset = media.remote_dataset(remote)
    out = INTERNVL / "internvl-chat-images"
    # the chat format's placeholder is the text '<image>' (an added token here so the tiny vocabulary keeps it whole)
    tok = write_folder(out, {"<img>": IMG_START, "</img>": IMG_END, "<IMG_CONTEXT>": IMG_CONTEXT,
                             "<image>": IMAGE_TAG}, "<image>")
    for f in ("added_tokens.json",):
        (out / f).write_text((INTERNVL / "internvl-chat" / f).read_text())
    model = fixtures.chat_model(remote, fixtures.CHAT["internvl-chat"])
    model.load_state_dict(load_file(INTERNVL / "internvl-chat/model.safetensors"))
    config = json.loads((INTERNVL / "internvl-chat/config.json").read_text())
    size = config["force_image_size"]
    # the README's load_image: build_transform + dynamic_preprocess(use_thumbnail=True, max_num)
    transform = dataset.build_transform(is_train=False, input_size=size, normalize_type="imagenet")
    tiles = []
    for img in images(out):
        crops = dataset.dynamic_preprocess(img, min_num=config["min_dynamic_patch"],
                                           max_num=config["max_dynamic_patch"], image_size=size,
                                           use_thumbnail=config["use_thumbnail"])
        tiles.append(torch.stack([transform(c) for c in crops]))
    pixel_values = torch.cat(tiles)
    text = rendered(tok)
    prompt, positions = encoder_prompt(tok, text, "<image>")
    query = text
    for t in tiles:  # chat(): each '<image>' in turn becomes its image's tokens
        query = query.replace("<image>", "<img>" + "<IMG_CONTEXT>" * model.num_image_token * t.shape[0] + "</img>", 1)
    ids = tok(query, return_tensors="pt")["input_ids"]
    model.img_context_token_id = IMG_CONTEXT
    with torch.no_grad():
        gen = model.generate(pixel_values=pixel_values, input_ids=ids, attention_mask=torch.ones_like(ids),
                             do_sample=False, max_new_tokens=NEW_TOKENS, output_scores=True,
                             return_dict_in_generate=True, eos_token_id=2, pad_token_id=0)
    write(out, dict(prompt=text, prompt_ids=prompt, media_positions=positions, input_ids=ids[0].tolist(),
                    tiles=[t.shape[0] for t in tiles], **summary(pixel_values),
                    greedy=greedy(gen, ids.shape[1], generated_from_embeddings=True)), pixel_values)


def internvl_hf():
    out = INTERNVL / "internvl-hf-images"
    special = {"extra_special_tokens": {"start_image_token": "<img>", "end_image_token": "</img>",
                                        "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"}}
    tok = write_folder(out, {"<img>": IMG_START, "</img>": IMG_END, "<IMG_CONTEXT>": IMG_CONTEXT,
                             "<video>": IMAGE_TAG}, "<IMG_CONTEXT>", special, special)
    # InternVL3-1B-hf's preprocessor_config.json at the fixture's 16-pixel tiles
    pre = dict(image_processor_type="GotOcr2ImageProcessor", processor_class="InternVLProcessor",
               crop_to_patches=False, min_patches=1, max_patches=6, size=dict(height=16, width=16),
               image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225], do_resize=True, do_rescale=True,
               rescale_factor=1 / 255, do_normalize=True, do_convert_rgb=True, resample=3)
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=1) + "\n")
    (out / "processor_config.json").write_text(json.dumps({"processor_class": "InternVLProcessor",
                                                           "image_seq_length": 4}, indent=1) + "\n")
    image_processor = transformers.AutoImageProcessor.from_pretrained(out)
    processor = transformers.InternVLProcessor(image_processor=image_processor, tokenizer=tok,
                                               video_processor=transformers.InternVLVideoProcessor(),
                                               image_seq_length=4)
    text = rendered(tok)
    prompt, positions = encoder_prompt(tok, text, "<IMG_CONTEXT>")
    inputs = processor(images=images(out), text=text, return_tensors="pt")
    if getattr(sys.modules.get("peft"), "__spec__", True) is None:
        del sys.modules["peft"]  # the chat case's stand-in: from_pretrained looks for the real one
    model = transformers.InternVLForConditionalGeneration.from_pretrained(INTERNVL / "internvl-hf",
                                                                         dtype=torch.float32).eval()
    with torch.no_grad():
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, output_scores=True,
                             return_dict_in_generate=True)
    ids = inputs["input_ids"]
    write(out, dict(prompt=text, prompt_ids=prompt, media_positions=positions, input_ids=ids[0].tolist(),
                    **summary(inputs["pixel_values"]), greedy=greedy(gen, ids.shape[1])), inputs["pixel_values"])


# --- PaliGemma and Gemma 3 ------------------------------------------------------------------------------------------

GEMMA = root / "plugins-models/gemma-vision/src/test/resources/reference"
BOS, EOS, PAD, NEWLINE = 2, 1, 0, 108  # make-siglip-fixtures.py's; Gemma's "\n" (Gemma 3's "\n\n") is 108
SIGLIP = dict(do_convert_rgb=None, do_normalize=True, do_rescale=True, do_resize=True, image_mean=[0.5, 0.5, 0.5],
              image_std=[0.5, 0.5, 0.5], resample=2, rescale_factor=1 / 255, size=dict(height=32, width=32))


def paligemma():
    out = GEMMA / "paligemma-images"
    special = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"}
    tok = write_folder(out, {"<pad>": PAD, "<eos>": EOS, "<bos>": BOS, "\n": NEWLINE, "<image>": 152}, "<image>",
                       special, special)
    # google/paligemma-3b-pt-224's preprocessor_config.json at the fixture's 32-pixel tower (16 patches)
    pre = dict(SIGLIP, image_processor_type="SiglipImageProcessor", processor_class="PaliGemmaProcessor",
               image_seq_length=16)
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=1) + "\n")
    processor = transformers.PaliGemmaProcessor(image_processor=transformers.AutoImageProcessor.from_pretrained(out),
                                                tokenizer=tok)
    text = rendered(tok)
    prompt, positions = encoder_prompt(tok, text, "<image>")
    inputs = processor(images=[images(out)], text=text, return_tensors="pt")
    model = transformers.PaliGemmaForConditionalGeneration.from_pretrained(GEMMA / "paligemma",
                                                                          dtype=torch.float32).eval()
    with torch.no_grad():
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, output_scores=True,
                             return_dict_in_generate=True)
    ids = inputs["input_ids"]
    write(out, dict(prompt=text, prompt_ids=prompt, media_positions=positions, input_ids=ids[0].tolist(),
                    **summary(inputs["pixel_values"]), greedy=greedy(gen, ids.shape[1])), inputs["pixel_values"])


def gemma3():
    out = GEMMA / "gemma3-vision-images"
    special = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
               "extra_special_tokens": {"image_token": "<image_soft_token>", "boi_token": "<start_of_image>",
                                        "eoi_token": "<end_of_image>"}}
    tok = write_folder(out, {"<pad>": PAD, "<eos>": EOS, "<bos>": BOS, "\n\n": NEWLINE, "<start_of_image>": 150,
                             "<end_of_image>": 151, "<image_soft_token>": 152}, "<start_of_image>",
                       special, special)
    # google/gemma-3-4b-it's preprocessor_config.json at the fixture's 32-pixel tower, pan-and-scan off
    pre = dict(SIGLIP, image_processor_type="Gemma3ImageProcessor", processor_class="Gemma3Processor",
               do_pan_and_scan=None, image_seq_length=4, pan_and_scan_max_num_crops=None,
               pan_and_scan_min_crop_size=None, pan_and_scan_min_ratio_to_activate=None)
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=1) + "\n")
    processor = transformers.Gemma3Processor(image_processor=transformers.AutoImageProcessor.from_pretrained(out),
                                             tokenizer=tok, image_seq_length=4)
    text = rendered(tok)
    prompt, positions = encoder_prompt(tok, text, "<start_of_image>")
    inputs = processor(images=[images(out)], text=text, return_tensors="pt", return_mm_token_type_ids=True)
    model = transformers.Gemma3ForConditionalGeneration.from_pretrained(GEMMA / "gemma3-vision",
                                                                       dtype=torch.float32).eval()
    with torch.no_grad():
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, output_scores=True,
                             return_dict_in_generate=True)
    ids = inputs["input_ids"]
    write(out, dict(prompt=text, prompt_ids=prompt, media_positions=positions, input_ids=ids[0].tolist(),
                    **summary(inputs["pixel_values"]), greedy=greedy(gen, ids.shape[1])), inputs["pixel_values"])


for case in cases:
    {"internvl-chat": internvl_chat, "internvl-hf": internvl_hf, "paligemma": paligemma,
     "gemma3-vision": gemma3}[case]()
