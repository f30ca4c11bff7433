#!/usr/bin/env python3
"""Writes tiny LLaVA-style checkpoints (Mistral 3, Pixtral, LLaVA 1.5) and the outputs transformers itself computes
for them.

The LLaVA counterpart of make-siglip-fixtures.py (it reuses make-reference-fixtures.py's seed, greedy length and
positions): each case is a model folder as save_pretrained writes it, with inputs.safetensors (pixel_values
(N, C, H, W), random but fixed, in the order of the images' placeholder runs, and image_sizes (N, 2) in pixels where
the tower reads them) and reference.json beside it: logits of a left-padded batch of two rows, the loss with labels,
greedy tokens from generate() (batched, and each prompt alone), and the logits of a PEFT LoRA adapter on the language
model's linear layers.

- mistral3 (Mistral3ForConditionalGeneration): a Pixtral tower over images of different sizes (padded to the
  largest, cropped back by image_sizes), the RMSNorm + 2 x 2 patch merger + MLP projector, a Mistral decoder; each
  image is the processor's rows of [IMG] tokens, each row ended by [IMG_BREAK], the last by [IMG_END]; two images in
  row 0, one in row 1.
- ministral3 (Ministral 3: Mistral3ForConditionalGeneration over a ministral3 language model): the mistral3 case with
  YaRN rotary positions and Llama 4's position-scaled queries (MINISTRAL3_ROPE), a tiny original length so that the
  scale changes inside the prompts and the generated tokens.
- pixtral (LlavaForConditionalGeneration with a Pixtral vision config): the same tower, LLaVA's projector, every
  patch a token ("full" strategy).
- llava (LlavaForConditionalGeneration with a CLIP vision config, LLaVA 1.5): the class token dropped ("default"),
  the second-to-last layer's states (vision_feature_layer -2), a Llama decoder.
- llava_next (LlavaNextForConditionalGeneration): the same tower over each image's base tile and its any-resolution
  tiles (pixel_values (N, tiles, C, S, S), padded with noise past each image's tiles), unpadded to the original
  aspect ratio (image_sizes), image_newline after each row; as many image tokens as transformers packs.

- llava_onevision (LlavaOnevisionForConditionalGeneration): a SigLIP tower (hidden_states[-1], before its
  post_layernorm, every patch), LLaVA's projector, a Qwen2 decoder; the two images of row 0 each as its base tile and
  image_newline (a row of several images is not tiled), the one image of row 1 as LLaVA-NeXT's packed tiles, shrunk by
  bilinear interpolation where they exceed vision_aspect_ratio's anyres_max_N tiles.

- mistral3-images: the prompt path of the mistral3 case: two drawn PNGs through transformers' PixtralProcessor (its
  PixtralImageProcessor with patch_size · spatial_merge_size, the [IMG] rows with [IMG_BREAK] and [IMG_END]) and a
  word-level tokenizer holding those tokens; the prompt as the prompt encoder gives it (the [IMG] placeholders cut
  out, their positions), the processor's input_ids, pixel_values and image_sizes, and generate()'s greedy tokens.
- llava_next-images: the same for the llava_next case through LlavaNextProcessor (LlavaNextImageProcessor's tiles).
- llava_onevision-images: the same for the llava_onevision case through LlavaOnevisionProcessor (the two images as a
  conversation's list, so each is its base tile, padded to a square); llava_onevision_one-images: one image, tiled.
- llava_onevision-video: the llava_onevision model over two videos of two frames (pooled 2 x 2, a newline per video)
  and an image: logits, loss and greedy tokens.
- llava-images: the same for the llava case through LlavaProcessor (CLIPImageProcessor at 32 pixels, <image> per
  patch as llava-hf's processor_config.json asks: num_additional_image_tokens 1, "default" strategy).

Needs torch, transformers and safetensors (the Debian sid chroot of docs/reference-fixtures.md):
    python3 tools/make-llava-fixtures.py OUT_DIR [CASE...]
"""
import copy
import importlib.util
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("text_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
text = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(text)

BOS, EOS, PAD = 1, 2, 11
IMAGE, IMAGE_BREAK, IMAGE_END = 150, 151, 152
VOCAB = 160
DECODER = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, head_dim=8, max_position_embeddings=256, rms_norm_eps=1e-5, bos_token_id=BOS,
               eos_token_id=EOS, pad_token_id=PAD, tie_word_embeddings=False)
PIXTRAL = dict(model_type="pixtral", hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
               image_size=64, patch_size=8, num_channels=3, hidden_act="silu",
               rope_parameters=dict(rope_type="default", rope_theta=10000.0))
CLIP = dict(model_type="clip_vision_model", hidden_size=32, intermediate_size=48, num_hidden_layers=3,
            num_attention_heads=2, image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-5,
            hidden_act="quick_gelu", projection_dim=32)
PATCH = 8
MERGE = 2
# Ministral 3's language model: YaRN over original_max_position_embeddings, and Llama 4's query scale
# 1 + beta * log(1 + floor(position / original_max_position_embeddings)); the tiny original length of 8 puts the
# prompts' and generated tokens' positions 0..27 in four scale bands. mscale = mscale_all_dim as the released configs
# write them (YaRN's attention factor is then 1).
MINISTRAL3_ROPE = dict(rope_type="yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=8,
                       beta_fast=32.0, beta_slow=1.0, mscale=1.0, mscale_all_dim=1.0, llama_4_scaling_beta=0.3)
# (height, width) in pixels of the pictures: Pixtral's are of different sizes, padded to the largest
SIZES = [(32, 48), (16, 32), (48, 32)]
CLIP_PATCHES = 16

CASES = ("mistral3", "ministral3", "pixtral", "llava", "llava_next", "llava_onevision", "mistral3-images", "llava-images",
         "llava_next-images", "llava_onevision-images", "llava_onevision_one-images", "llava_onevision-video",
         "llava-sparse-config")
# LLaVA-NeXT: tiles of 32 pixels on these grids; the images' original sizes choose 2 x 2 and 1 x 2 tiles (+ the base)
PINPOINTS = [[32, 64], [64, 32], [64, 64]]
NEXT_SIZES = [(40, 70), (30, 50), (64, 20)]
# LLaVA-OneVision: a SigLIP tower over the same tiles, no class token ("full"); a row of several images keeps only
# each one's base tile (batch_num_images), a row of one image its tiles too, here 44 x 70 on 2 x 2 tiles, unpadded
# to 6 x 8 patches and, past anyres_max_1's one tile of patches, interpolated down to 3 x 4
ONEVISION_SIZES = [(30, 50), (64, 20), (44, 70)]
SIGLIP = dict(model_type="siglip_vision_model", hidden_size=32, intermediate_size=48, num_hidden_layers=2,
              num_attention_heads=2, image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-6,
              hidden_act="gelu_pytorch_tanh", vision_use_head=False)

# the sparse form of LLaVA 1.5's Hub configs (llava-hf/llava-1.5-7b-hf, written by transformers 4.36): its text_config
# names little more than the model type, so the language model's size comes from LlamaConfig's defaults
SPARSE_LLAVA = {
    "architectures": ["LlavaForConditionalGeneration"], "image_token_index": 32000, "model_type": "llava",
    "pad_token_id": 32001, "projector_hidden_act": "gelu", "tie_word_embeddings": False,
    "text_config": {"architectures": ["LlamaForCausalLM"], "max_position_embeddings": 4096, "model_type": "llama",
                    "rms_norm_eps": 1e-05, "vocab_size": 32064},
    "vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096,
                      "model_type": "clip_vision_model", "num_attention_heads": 16, "num_hidden_layers": 24,
                      "patch_size": 14, "projection_dim": 768},
    "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
}


def make_sparse_config(out_dir):
    """The sparse config, and the sizes transformers' LlavaConfig reads from it (resolved.json)."""
    folder = os.path.join(out_dir, "llava-sparse-config")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(SPARSE_LLAVA, f, indent=1)
    config = transformers.LlavaConfig(**copy.deepcopy(SPARSE_LLAVA))
    t, v = config.text_config, config.vision_config
    resolved = dict(text=dict(vocab_size=t.vocab_size, hidden_size=t.hidden_size,
                              intermediate_size=t.intermediate_size, num_hidden_layers=t.num_hidden_layers,
                              num_attention_heads=t.num_attention_heads, num_key_value_heads=t.num_key_value_heads,
                              rms_norm_eps=t.rms_norm_eps, hidden_act=t.hidden_act,
                              rope_theta=t.rope_parameters["rope_theta"]),
                    vision=dict(hidden_size=v.hidden_size, hidden_act=v.hidden_act, layer_norm_eps=v.layer_norm_eps,
                                num_hidden_layers=v.num_hidden_layers, image_size=v.image_size,
                                patch_size=v.patch_size),
                    image_token_id=config.image_token_id, tie_word_embeddings=config.tie_word_embeddings)
    with open(os.path.join(folder, "resolved.json"), "w") as f:
        json.dump(resolved, f, indent=1)
    print(f"llava-sparse-config: {resolved}")


def build(name):
    torch.manual_seed(text.SEED)
    if name in ("mistral3", "ministral3"):
        language = (dict(DECODER, model_type="mistral", sliding_window=None) if name == "mistral3"
                    else dict(DECODER, model_type="ministral3", sliding_window=None, rope_parameters=MINISTRAL3_ROPE))
        config = transformers.Mistral3Config(text_config=language,
                                             vision_config=dict(PIXTRAL), image_token_index=IMAGE,
                                             spatial_merge_size=MERGE, projector_hidden_act="gelu",
                                             vision_feature_layer=-1, multimodal_projector_bias=False,
                                             tie_word_embeddings=False)
        model_class = transformers.Mistral3ForConditionalGeneration
    elif name == "pixtral":
        config = transformers.LlavaConfig(text_config=dict(DECODER, model_type="mistral", sliding_window=None),
                                          vision_config=dict(PIXTRAL), image_token_index=IMAGE,
                                          projector_hidden_act="gelu", vision_feature_layer=-1,
                                          vision_feature_select_strategy="full", multimodal_projector_bias=True,
                                          tie_word_embeddings=False)
        model_class = transformers.LlavaForConditionalGeneration
    elif name == "llava_next":
        config = transformers.LlavaNextConfig(text_config=dict(DECODER, model_type="llama"), vision_config=dict(CLIP),
                                              image_token_index=IMAGE, projector_hidden_act="gelu",
                                              vision_feature_layer=-2, vision_feature_select_strategy="default",
                                              image_grid_pinpoints=PINPOINTS, multimodal_projector_bias=True,
                                              tie_word_embeddings=False)
        model_class = transformers.LlavaNextForConditionalGeneration
    elif name == "llava_onevision":
        config = transformers.LlavaOnevisionConfig(text_config=dict(DECODER, model_type="qwen2"),
                                                   vision_config=dict(SIGLIP), image_token_index=IMAGE,
                                                   video_token_index=IMAGE_BREAK, projector_hidden_act="gelu",
                                                   vision_feature_layer=-1, vision_feature_select_strategy="full",
                                                   vision_aspect_ratio="anyres_max_1", image_grid_pinpoints=PINPOINTS,
                                                   multimodal_projector_bias=True, tie_word_embeddings=False)
        model_class = transformers.LlavaOnevisionForConditionalGeneration
    else:
        config = transformers.LlavaConfig(text_config=dict(DECODER, model_type="llama"), vision_config=dict(CLIP),
                                          image_token_index=IMAGE, projector_hidden_act="gelu",
                                          vision_feature_layer=-2, vision_feature_select_strategy="default",
                                          image_seq_length=CLIP_PATCHES, multimodal_projector_bias=True,
                                          tie_word_embeddings=False)
        model_class = transformers.LlavaForConditionalGeneration
    model = model_class._from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    randomize(model)
    model.generation_config.eos_token_id = EOS
    model.generation_config.pad_token_id = PAD
    model.generation_config.bos_token_id = BOS
    return config, model


def randomize(model):
    """Weights far from HF's small init (make-reference-fixtures.py's idea): norms around 1, biases around 0,
    weights with std 1.5 / sqrt(fan-in)."""
    g = torch.Generator().manual_seed(text.SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name and name.endswith("weight") or "layrnorm.weight" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("class_embedding") or name.endswith("image_newline"):
                p.copy_(torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name or "position_embedding" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()  # the conv patch embedding's C·P·P
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(fan_in)))


NEXT_TOKENS = []  # per image, the features transformers packs (set by make for llava_next)


def image_tokens(name, size):
    """The tokens of one image as the case's processor writes them."""
    if name in ("llava_next", "llava_onevision"):
        return [IMAGE] * NEXT_TOKENS[sizes(name).index(size)]
    if name == "llava":
        return [IMAGE] * CLIP_PATCHES
    side = PATCH * (MERGE if name in ("mistral3", "ministral3") else 1)
    rows, columns = size[0] // side, size[1] // side
    tokens = []
    for _ in range(rows):
        tokens += [IMAGE] * columns + [IMAGE_BREAK]
    tokens[-1] = IMAGE_END
    return tokens


def sizes(name):
    if name == "llava_onevision":
        return ONEVISION_SIZES
    return [(32, 32)] * 3 if name == "llava" else NEXT_SIZES if name == "llava_next" else SIZES


def rows(name):
    s = sizes(name)
    return [[BOS, 17] + image_tokens(name, s[0]) + [93, 5] + image_tokens(name, s[1]) + [44, 8, 61, 33],
            [BOS, 64] + image_tokens(name, s[2]) + [23, 87, 110, 3, 50]]


IMAGES_PER_ROW = [2, 1]


def left_pad(rows, fill=PAD):
    width = max(len(r) for r in rows)
    return torch.tensor([[fill] * (width - len(r)) + r for r in rows])


def pixel_inputs(name, pixels, first, count):
    chosen = dict(pixel_values=pixels[first:first + count])
    if name != "llava":
        chosen["image_sizes"] = torch.tensor(sizes(name)[first:first + count])
    if name == "llava_onevision":
        # the processor's batch_num_images: the images of each row (all of them when the rows are batched)
        chosen["batch_num_images"] = torch.tensor(IMAGES_PER_ROW if count == len(sizes(name)) else [count])
    return chosen


def greedy(model, ids, mask, media):
    model = copy.deepcopy(model)
    out = model.generate(input_ids=ids, attention_mask=mask, **media, do_sample=False,
                         max_new_tokens=text.NEW_TOKENS, output_scores=True, return_dict_in_generate=True)
    new = out.sequences[:, ids.shape[1]:].tolist()
    found, margin = [], float("inf")
    for b, row in enumerate(new):
        kept = []
        for step, token in enumerate(row):
            top = torch.topk(out.scores[step][b].float(), 2).values
            margin = min(margin, float(top[0] - top[1]))
            kept.append(token)
            if token == EOS:
                break
        found.append(kept)
    return found, margin


def lora_adapter(model, folder):
    """PEFT's LoRA (make-reference-fixtures.py's formula) on the language model's linear layers, keys as PEFT names
    transformers 5's modules (base_model.model.model.language_model.layers.N...)."""
    g = torch.Generator().manual_seed(text.SEED + 1)
    r, alpha = 4, 8
    tensors, merged = {}, {}
    for name, module in model.named_modules():
        if name.split(".")[-1] in text.LINEARS and ".language_model." in name:
            out_features, in_features = module.weight.shape
            a = torch.randn(r, in_features, generator=g) * 0.3
            b = torch.randn(out_features, r, generator=g) * 0.3
            tensors[f"base_model.model.{name}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{name}.lora_B.weight"] = b.contiguous()
            merged[name] = alpha / r * (b @ a)
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=sorted(text.LINEARS), use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    adapted = copy.deepcopy(model)
    with torch.no_grad():
        for name, module in adapted.named_modules():
            if name in merged:
                module.weight.add_(merged[name])
    return adapted.eval(), sorted(merged)


def picture(width, height, seed):
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (width, height))
    px = img.load()
    for y in range(height):
        for x in range(width):
            px[x, y] = ((x * 37 + seed * 11) % 256, (y * 53 + seed * 29) % 256, ((x + y) * 19 + seed) % 256)
    d = ImageDraw.Draw(img)
    d.ellipse([2, 3, width - 4, height - 2], outline=(250, 240, 10))
    d.line([0, height - 1, width - 1, 0], fill=(10, 20, 200))
    return img


def make_images(out_dir, case):
    from PIL import Image
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    pixtral = case == "mistral3-images"
    placeholder = "[IMG]" if pixtral else "<image>"
    folder = os.path.join(out_dir, case)
    os.makedirs(folder, exist_ok=True)
    onevision = case.startswith("llava_onevision")
    if case == "llava_onevision_one-images":
        names = {"a.png": picture(70, 44, 1)}  # alone, so tiled: 2 x 2 tiles, shrunk past anyres_max_1
    elif case in ("llava_next-images", "llava_onevision-images"):
        names = {"a.png": picture(70, 40, 1), "b.png": picture(20, 64, 2)}  # 2 x 2 and 2 x 1 tiles
    else:
        names = {"a.png": picture(80, 50, 1), "b.png": picture(20, 40, 2)}  # a is scaled down to fit 64 pixels
    for name, img in names.items():
        img.save(os.path.join(folder, name))
    vocab = {f"w{i}": i for i in range(IMAGE)}
    specials = ("[IMG]", "[IMG_BREAK]", "[IMG_END]") if pixtral else ("<image>",)
    vocab.update({t: IMAGE + i for i, t in enumerate(specials)})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="w0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.add_special_tokens([AddedToken(t, special=True) for t in specials])
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok)
    # what Mistral 3's template does with a list of parts: the text, and [IMG] where an image is
    fast.chat_template = ("{% for message in messages %}{% for part in message['content'] %}{% if part['type'] =="
                          " 'image' %}" + placeholder + "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endfor %}")
    fast.save_pretrained(folder)
    if pixtral:
        image_processor = transformers.PixtralImageProcessor(size={"longest_edge": 64}, patch_size=PATCH)
        processor = transformers.PixtralProcessor(image_processor=image_processor, tokenizer=fast, patch_size=PATCH,
                                                  spatial_merge_size=MERGE)
    elif onevision:
        image_processor = transformers.LlavaOnevisionImageProcessor(size={"height": 32, "width": 32},
                                                                    image_grid_pinpoints=PINPOINTS,
                                                                    image_mean=[0.5] * 3, image_std=[0.5] * 3)
        processor = transformers.LlavaOnevisionProcessor(image_processor=image_processor, tokenizer=fast,
                                                         video_processor=transformers.LlavaOnevisionVideoProcessor(),
                                                         num_image_tokens=(32 // PATCH) ** 2,
                                                         vision_feature_select_strategy="full",
                                                         vision_aspect_ratio="anyres_max_1")
    elif case == "llava_next-images":
        image_processor = transformers.LlavaNextImageProcessor(size={"shortest_edge": 32},
                                                               crop_size={"height": 32, "width": 32},
                                                               image_grid_pinpoints=PINPOINTS)
        processor = transformers.LlavaNextProcessor(image_processor=image_processor, tokenizer=fast, patch_size=PATCH,
                                                    vision_feature_select_strategy="default",
                                                    num_additional_image_tokens=1)
    else:
        image_processor = transformers.CLIPImageProcessor(size={"shortest_edge": 32},
                                                          crop_size={"height": 32, "width": 32})
        processor = transformers.LlavaProcessor(image_processor=image_processor, tokenizer=fast, patch_size=PATCH,
                                                vision_feature_select_strategy="default",
                                                num_additional_image_tokens=1)
    image_processor.save_pretrained(folder)
    loaded = [Image.open(os.path.join(folder, n)).convert("RGB") for n in names]
    text_in = f"w1 w17 {placeholder} w93 w5 {placeholder} w44 w8"
    if len(names) == 1:
        text_in = f"w1 w17 {placeholder} w93 w5 w44 w8"
    # OneVision: the images as a conversation's list (apply_chat_template's nesting), so several are not tiled
    out = processor(images=[loaded] if onevision else loaded, text=[text_in], return_tensors="pt")
    words = text_in.split()
    prompt = [vocab[w] for w in words if w != placeholder]
    positions, at = [], 0
    for w in words:
        if w == placeholder:
            positions.append(at)
        else:
            at += 1
    media = {"pixel_values": out["pixel_values"].contiguous()}
    if pixtral or case == "llava_next-images" or onevision:
        media["image_sizes"] = out["image_sizes"].contiguous()
    save_file(media, os.path.join(folder, "pixels.safetensors"), metadata={"format": "pt"})
    model_case = {"mistral3-images": "mistral3", "llava-images": "llava", "llava_next-images": "llava_next",
                  "llava_onevision-images": "llava_onevision", "llava_onevision_one-images": "llava_onevision"}[case]
    model_class = {"llava_onevision": transformers.LlavaOnevisionForConditionalGeneration,
                   "mistral3": transformers.Mistral3ForConditionalGeneration,
                   "llava": transformers.LlavaForConditionalGeneration,
                   "llava_next": transformers.LlavaNextForConditionalGeneration}[model_case]
    model = model_class.from_pretrained(os.path.join(out_dir, model_case), dtype=torch.float32).eval()
    extra = dict(batch_num_images=out["batch_num_images"]) if onevision else {}
    tokens, margin = greedy(model, out["input_ids"], out["attention_mask"], dict(media, **extra))
    ref = dict(transformers_version=transformers.__version__, images=list(names), text=text_in, prompt_ids=prompt,
               media_positions=positions, input_ids=out["input_ids"][0].tolist(),
               image_sizes=out["image_sizes"].tolist() if "image_sizes" in media else None,
               pixel_values_shape=list(out["pixel_values"].shape),
               greedy=dict(max_new_tokens=text.NEW_TOKENS, tokens=tokens[0], min_top2_gap=margin))
    with open(os.path.join(folder, "images.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(f"{case}: ids {ref['input_ids']}, sizes {ref['image_sizes']}, greedy {tokens[0]} gap {margin:.4f}")


def make_video(out_dir):
    """llava_onevision-video: the llava_onevision model over videos of two frames each (pixel_values_videos
    (2, 2, C, S, S)): every frame's patches pooled 2 x 2 by bilinear interpolation to ceil(side / 2) squared, then one
    image_newline per video, at its <video> tokens (here id 151); row 0 also has an image, alone so tiled."""
    folder = os.path.join(out_dir, "llava_onevision-video")
    os.makedirs(folder, exist_ok=True)
    model = transformers.LlavaOnevisionForConditionalGeneration.from_pretrained(
        os.path.join(out_dir, "llava_onevision"), dtype=torch.float32, attn_implementation="eager").eval()
    model.generation_config.pad_token_id = PAD
    side = SIGLIP["image_size"] // SIGLIP["patch_size"]
    frames = 2
    video = [IMAGE_BREAK] * (frames * math.ceil(side / 2) ** 2 + 1)
    image_size = ONEVISION_SIZES[2]
    g = torch.Generator().manual_seed(text.SEED + 6)
    videos = torch.randn(2, frames, 3, 32, 32, generator=g)
    pixels = torch.randn(1, 5, 3, 32, 32, generator=g)
    with torch.no_grad():
        feats = model.model.get_image_features(pixel_values=pixels, image_sizes=torch.tensor([image_size]),
                                               batch_num_images=torch.tensor([1]), vision_feature_layer=-1,
                                               vision_feature_select_strategy="full").pooler_output
    prompts = [[BOS, 17] + video + [93, 5] + [IMAGE] * int(feats[0].shape[0]) + [44, 8],
               [BOS, 64] + video + [23, 87]]
    ids = left_pad(prompts)
    mask = left_pad([[1] * len(r) for r in prompts], 0)
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    labels = labels.masked_fill((ids == IMAGE) | (ids == IMAGE_BREAK), -100)
    media = dict(pixel_values=pixels, image_sizes=torch.tensor([image_size]), batch_num_images=torch.tensor([1]),
                 pixel_values_videos=videos)
    save_file({"pixel_values": pixels.contiguous(), "image_sizes": torch.tensor([image_size]),
               "pixel_values_videos": videos.contiguous()}, os.path.join(folder, "inputs.safetensors"),
              metadata={"format": "pt"})
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels, position_ids=text.positions(mask), **media)
        tokens, margin = greedy(model, ids, mask, media)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="the model is ../llava_onevision; pixel_values, image_sizes and pixel_values_videos are in"
                    " inputs.safetensors", video_token_id=IMAGE_BREAK, input_ids=ids.tolist(),
               attention_mask=mask.tolist(), labels=labels.tolist(), image_sizes=[list(image_size)],
               logits=dict(shape=list(out.logits.shape), values=out.logits.float().tolist()), loss=float(out.loss),
               greedy=dict(max_new_tokens=text.NEW_TOKENS, tokens=tokens, min_top2_gap=margin))
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"llava_onevision-video: loss {ref['loss']:.5f}, greedy {tokens}, smallest top-2 gap {margin:.4f}")


def make(name, out_dir):
    if name == "llava_onevision-video":
        make_video(out_dir)
        return
    if name == "llava-sparse-config":
        make_sparse_config(out_dir)
        return
    if name.endswith("-images"):
        make_images(out_dir, name)
        return
    config, model = build(name)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    if name == "llava_next":
        g = torch.Generator().manual_seed(text.SEED + 3)
        probe = torch.randn(len(NEXT_SIZES), 5, 3, 32, 32, generator=g)
        with torch.no_grad():
            feats = model.model.get_image_features(pixel_values=probe, image_sizes=torch.tensor(NEXT_SIZES),
                                                   vision_feature_layer=-2,
                                                   vision_feature_select_strategy="default").pooler_output
        NEXT_TOKENS[:] = [int(f.shape[0]) for f in feats]
    if name == "llava_onevision":
        g = torch.Generator().manual_seed(text.SEED + 3)
        probe = torch.randn(len(ONEVISION_SIZES), 5, 3, 32, 32, generator=g)
        with torch.no_grad():
            feats = model.model.get_image_features(pixel_values=probe, image_sizes=torch.tensor(ONEVISION_SIZES),
                                                   batch_num_images=torch.tensor(IMAGES_PER_ROW),
                                                   vision_feature_layer=-1,
                                                   vision_feature_select_strategy="full").pooler_output
        NEXT_TOKENS[:] = [int(f.shape[0]) for f in feats]
    prompts = rows(name)
    ids = left_pad(prompts)
    mask = left_pad([[1] * len(r) for r in prompts], 0)
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    labels = labels.masked_fill((ids == IMAGE) | (ids == IMAGE_BREAK) | (ids == IMAGE_END), -100)
    g = torch.Generator().manual_seed(text.SEED + 3)
    height = max(h for h, _ in sizes(name))
    width = max(w for _, w in sizes(name))
    # normalised pixels are about N(0, 1); the padding beyond each image's size is noise the tower must not see
    if name in ("llava_next", "llava_onevision"):
        pixels = torch.randn(len(sizes(name)), 5, 3, 32, 32, generator=g)
    else:
        pixels = torch.randn(len(sizes(name)), 3, height, width, generator=g)
    inputs = {"pixel_values": pixels.contiguous()}
    if name != "llava":
        inputs["image_sizes"] = torch.tensor(sizes(name))
    save_file(inputs, os.path.join(folder, "inputs.safetensors"), metadata={"format": "pt"})
    media = pixel_inputs(name, pixels, 0, len(sizes(name)))
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="pixel_values and image_sizes are in inputs.safetensors; logits at generate()'s positions",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(),
               position_ids=text.positions(mask).tolist(), image_sizes=sizes(name))
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels, position_ids=text.positions(mask), **media)
        ref["logits"] = dict(shape=list(out.logits.shape), values=out.logits.float().tolist())
        ref["loss"] = float(out.loss)
        tokens, margin = greedy(model, ids, mask, media)
        alone, first = [], 0
        for b, prompt in enumerate(prompts):
            one = torch.tensor([prompt])
            row, row_margin = greedy(model, one, torch.ones_like(one),
                                     pixel_inputs(name, pixels, first, IMAGES_PER_ROW[b]))
            first += IMAGES_PER_ROW[b]
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=EOS, input_ids=ids.tolist(),
                             attention_mask=mask.tolist(), images_per_row=IMAGES_PER_ROW, tokens=tokens,
                             tokens_alone=alone, min_top2_gap=margin)
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        lora_out = merged(input_ids=ids, attention_mask=mask, labels=labels, position_ids=text.positions(mask),
                          **media)
        ref["lora"] = dict(folder="adapter", modules=adapted, loss=float(lora_out.loss),
                           logits=dict(shape=list(lora_out.logits.shape), values=lora_out.logits.float().tolist()))
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {ref['loss']:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case in CASES:
        if not only or case in only:
            make(case, out)
