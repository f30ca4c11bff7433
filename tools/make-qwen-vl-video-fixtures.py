"""Videos through Qwen2-VL's and Qwen2.5-VL's own video processor and model: the reference of the video prompt path.

Reads plugins-models/qwen-vl/src/test/resources/reference/qwen-vl-video/: clip.mp4 (20 frames of 80x64 at 10 fps,
written by tools/MakeTestVideo.java with JCodec's H.264 encoder) and clip-frames/ (its frames as Osprey's
VideoDecoder decodes them, lossless PNGs): the decoded video the reference starts from. Then does what ms-swift does
for a video (qwen-vl-utils' fetch_video, with the environment below; its code is not installed in the chroot, so its
smart_nframes / linspace / smart_resize steps are written out here as qwen-vl-utils 0.0.11 has them) and calls the
model's video processor with do_resize=False as ms-swift's template does, and the model itself with the prompt's ids.
Also a video given as a folder of frames (frames5/: five of the PNGs, fetched one by one as images with PIL's bicubic
and padded to an even count). Writes the processor configs and qwen2-vl.json / qwen2.5-vl.json: prompt ids, expanded
ids, pixel_values_videos (shape, sum, first and last values), video_grid_thw, second_per_grid_ts, logits, loss.
Then the same clip, folder and image through Qwen3VLProcessor (its timestamps before each frame group, from
qwen-vl-utils' video_metadata) and Qwen3-VL / Qwen3-VL-MoE into qwen3-vl-video/ (with a word-level tokenizer whose
words include the timestamps' pieces).
When PyAV is installed it also decodes clip.mp4 with FFmpeg and records how far its RGB frames (the sampled ones)
are from JCodec's. Only the sampled frames of clip-frames/ are kept in the repository.

Run in the Debian sid chroot:
    chroot /srv/sid python3 /work/wt-NAME/tools/make-qwen-vl-video-fixtures.py /work/wt-NAME
"""
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

root = Path(sys.argv[1])
ref_dir = root / "plugins-models/qwen-vl/src/test/resources/reference"
out = ref_dir / "qwen-vl-video"
images_dir = ref_dir / "qwen2-vl-images"

# ms-swift's environment for the test (MIN_PIXELS ... as qwen-vl-utils reads them): small, so the tiny model's
# 4-pixel patches make a few dozen tokens
ENV = dict(MIN_PIXELS=64, MAX_PIXELS=1024, VIDEO_MIN_PIXELS=256, VIDEO_MAX_PIXELS=2048, VIDEO_TOTAL_PIXELS=4096,
           FPS=3.0, FPS_MIN_FRAMES=4, FPS_MAX_FRAMES=768)
FRAME_FACTOR = 2
VIDEO_FPS = 10.0  # clip.mp4's rate (20 frames in 2 s)
CLIP_FRAMES = 20
FACTOR = 8  # patch 4 x merge 2


def round_by_factor(n, f):
    return round(n / f) * f


def ceil_by_factor(n, f):
    return math.ceil(n / f) * f


def floor_by_factor(n, f):
    return math.floor(n / f) * f


def smart_resize(height, width, factor, min_pixels, max_pixels):
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, floor_by_factor(height / beta, factor))
        w_bar = max(factor, floor_by_factor(width / beta, factor))
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


def smart_nframes(total_frames, video_fps):
    min_frames = ceil_by_factor(ENV["FPS_MIN_FRAMES"], FRAME_FACTOR)
    max_frames = floor_by_factor(min(ENV["FPS_MAX_FRAMES"], total_frames), FRAME_FACTOR)
    nframes = total_frames / video_fps * ENV["FPS"]
    nframes = min(min(max(nframes, min_frames), max_frames), total_frames)
    return floor_by_factor(nframes, FRAME_FACTOR)


def fetch_video_file(frame):
    """fetch_video of a decoded video (frame(i): its (C, H, W) uint8 frame i): sample by fps, resize with torchvision's
    bicubic."""
    total = CLIP_FRAMES
    nframes = smart_nframes(total, VIDEO_FPS)
    idx = torch.linspace(0, total - 1, nframes).round().long()
    sample_fps = nframes / max(total, 1e-6) * VIDEO_FPS
    video = torch.stack([frame(i) for i in idx.tolist()])
    min_pixels = ENV["VIDEO_MIN_PIXELS"]
    max_pixels = max(min(ENV["VIDEO_MAX_PIXELS"], ENV["VIDEO_TOTAL_PIXELS"] / nframes * FRAME_FACTOR),
                     int(min_pixels * 1.05))
    h, w = smart_resize(video.shape[2], video.shape[3], FACTOR, min_pixels, max_pixels)
    video = TF.resize(video, [h, w], interpolation=InterpolationMode.BICUBIC, antialias=True).float()
    return video.to(torch.uint8), sample_fps, idx.tolist()


def fetch_frame_list(paths):
    """fetch_video of a list of frames: each as fetch_image (PIL bicubic to smart_resize), padded to an even count."""
    images = []
    for p in paths:
        img = Image.open(p).convert("RGB")
        h, w = smart_resize(img.height, img.width, FACTOR, ENV["MIN_PIXELS"], ENV["MAX_PIXELS"])
        images.append(img.resize((w, h), resample=Image.BICUBIC))
    n = ceil_by_factor(len(images), FRAME_FACTOR)
    images += [images[-1]] * (n - len(images))
    # as one (T, C, H, W) uint8 tensor, so that the processor takes it in a batch with the decoded video
    return torch.from_numpy(np.stack([np.asarray(i) for i in images])).permute(0, 3, 1, 2), 2.0




def clip_frame(i):
    """Frame i of clip.mp4 as Osprey decodes it (MakeTestVideo writes them all; the repository keeps those used)."""
    return torch.from_numpy(np.array(Image.open(out / f"clip-frames/{i:03d}.png").convert("RGB"))).permute(2, 0, 1)


folder = out / "frames5"
if not folder.exists():
    folder.mkdir()
    for i in range(5):
        shutil.copy(out / f"clip-frames/{i:03d}.png", folder / f"{i:03d}.png")

image_config = json.loads((images_dir / "preprocessor_config.json").read_text())
video_config = {
    "video_processor_type": "Qwen2VLVideoProcessor",
    "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "size": {"shortest_edge": 64, "longest_edge": 4096}, "patch_size": 4, "temporal_patch_size": 2,
    "merge_size": 2, "do_sample_frames": False,
}
(out / "preprocessor_config.json").write_text(json.dumps(image_config, indent=2) + "\n")
(out / "video_preprocessor_config.json").write_text(json.dumps(video_config, indent=2) + "\n")
shutil.copy(images_dir / "a.png", out / "a.png")

video_processor = transformers.AutoVideoProcessor.from_pretrained(out)
image_processor = transformers.AutoImageProcessor.from_pretrained(out)
print(type(video_processor).__name__, type(image_processor).__name__)

clip, clip_fps, clip_indices = fetch_video_file(clip_frame)
listed, listed_fps = fetch_frame_list(sorted(folder.glob("*.png")))
videos = video_processor(videos=[clip, listed], do_resize=False, return_tensors="pt")
pixels_videos, video_grid = videos["pixel_values_videos"], videos["video_grid_thw"]
image = image_processor(images=[Image.open(out / "a.png").convert("RGB")], return_tensors="pt")
video_tokens = [int(g.prod()) // 4 for g in video_grid]
image_tokens = [int(g.prod()) // 4 for g in image["image_grid_thw"]]

ffmpeg = None
try:
    import av

    with av.open(str(out / "clip.mp4")) as container:
        av_frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    ours = torch.stack([clip_frame(i) for i in clip_indices]).permute(0, 2, 3, 1).numpy()
    diff = np.abs(av_frames[clip_indices].astype(int) - ours.astype(int))
    ffmpeg = dict(frames=int(av_frames.shape[0]), max_abs_diff=int(diff.max()), mean_abs_diff=float(diff.mean()))
    print("PyAV vs JCodec", ffmpeg)
except ImportError:
    print("PyAV is not installed: no FFmpeg comparison")


def values(logits):
    return dict(shape=list(logits.shape), values=[[[round(x, 6) for x in t] for t in row] for row in logits.tolist()])


for case, model_class in (("qwen2-vl", "Qwen2VLForConditionalGeneration"),
                          ("qwen2.5-vl", "Qwen2_5_VLForConditionalGeneration")):
    model_dir = ref_dir / case
    config = json.loads((model_dir / "config.json").read_text())
    img, vid = config["image_token_id"], config["video_token_id"]
    start, end = config.get("vision_start_token_id", 150), config.get("vision_end_token_id", 153)
    # what the prompt encoder gives: <|vision_start|><|video_pad|><|vision_end|> and the same for the image and the
    # folder video, the pads cut out; media at positions 3, 6 and 9
    prompt = [1, 17, start, end, 93, start, end, 5, start, end, 44, 8, 61, 20, 33]
    parts = [("video", 3, video_tokens[0], vid), ("image", 6, image_tokens[0], img), ("video", 9, video_tokens[1], vid)]
    expanded, at = [], 0
    for _, position, count, token in parts:
        expanded += prompt[at:position] + [token] * count
        at = position
    expanded += prompt[at:]
    ids = torch.tensor([expanded])
    labels = ids.clone()
    labels[(ids == img) | (ids == vid)] = -100
    labels[0, 0] = -100
    inputs = dict(pixel_values=image["pixel_values"], image_grid_thw=image["image_grid_thw"],
                  pixel_values_videos=pixels_videos, video_grid_thw=video_grid)
    seconds = None
    if case == "qwen2.5-vl":
        # ms-swift: temporal_patch_size / the fps each video was sampled at
        seconds = [video_config["temporal_patch_size"] / f for f in (clip_fps, listed_fps)]
        inputs["second_per_grid_ts"] = torch.tensor(seconds)
    model = getattr(transformers, model_class).from_pretrained(model_dir, dtype=torch.float32).eval()
    types = (ids == img).int() + 2 * (ids == vid).int()
    with torch.no_grad():
        result = model(input_ids=ids, attention_mask=torch.ones_like(ids), mm_token_type_ids=types, labels=labels,
                       **inputs)
        positions, _ = model.model.get_rope_index(ids, types, inputs["image_grid_thw"], inputs["video_grid_thw"],
                                                  attention_mask=torch.ones_like(ids),
                                                  **({"second_per_grid_ts": inputs["second_per_grid_ts"]}
                                                     if seconds else {}))
    ref = {
        "transformers_version": transformers.__version__, "env": ENV,
        "videos": ["clip.mp4", "frames5"], "image": "a.png",
        "clip_frame_indices": clip_indices, "clip_sample_fps": clip_fps, "frames_fps": listed_fps,
        "clip_size": [int(clip.shape[2]), int(clip.shape[3])],
        "prompt_ids": prompt, "parts": [[kind, position] for kind, position, _, _ in parts],
        "input_ids": expanded, "labels": labels[0].tolist(),
        "video_grid_thw": video_grid.tolist(), "video_tokens": video_tokens, "image_tokens": image_tokens,
        "pixel_values_videos_shape": list(pixels_videos.shape),
        "pixel_values_videos_sum": float(pixels_videos.double().sum()),
        "pixel_values_videos_abs_sum": float(pixels_videos.double().abs().sum()),
        "pixel_values_videos_first": pixels_videos[0, :8].tolist(),
        "pixel_values_videos_last": pixels_videos[-1, -8:].tolist(),
        "second_per_grid_ts": seconds,
        "position_ids": positions[:, 0].tolist(),
        "logits": values(result.logits.float()), "loss": float(result.loss),
        "ffmpeg_vs_jcodec": ffmpeg,
    }
    (out / f"{case}.json").write_text(json.dumps(ref) + "\n")
    print(case, "tokens", video_tokens, image_tokens, "grid", video_grid.tolist(), "seconds", seconds,
          "loss", float(result.loss))


# Qwen3-VL and Qwen3-VL-MoE: the same clip, folder and image through Qwen3VLProcessor, which writes before each
# temporal patch group its timestamp ("<0.2 seconds>", from the frames' indices and the video's fps, as
# qwen-vl-utils' video_metadata gives them) and the group's <|vision_start|>, pads and <|vision_end|>. The tokenizer
# is a word-level one whose words include the timestamps' pieces, so the timestamps become real, distinct ids.
out3 = ref_dir / "qwen3-vl-video"
out3.mkdir(exist_ok=True)
image_config3 = json.loads((ref_dir / "qwen3-vl-images/preprocessor_config.json").read_text())
video_config3 = dict(video_config, video_processor_type="Qwen3VLVideoProcessor",
                     image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
(out3 / "preprocessor_config.json").write_text(json.dumps(image_config3, indent=2) + "\n")
(out3 / "video_preprocessor_config.json").write_text(json.dumps(video_config3, indent=2) + "\n")
words = {f"w{i}": i for i in range(120)}
words.update({str(d): 120 + d for d in range(10)})
words.update({"<": 130, ".": 131, "seconds": 132, ">": 133})
words.update({f"w{i}": i for i in range(134, 150)})
specials = ["<|vision_start|>", "<|image_pad|>", "<|video_pad|>", "<|vision_end|>"]
tokenizer_json = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [dict(id=150 + i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False,
                          special=True) for i, t in enumerate(specials)],
    "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
    "model": {"type": "WordLevel", "vocab": words, "unk_token": "w0"},
}
(out3 / "tokenizer.json").write_text(json.dumps(tokenizer_json) + "\n")
(out3 / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 512}) + "\n")

from transformers import PreTrainedTokenizerFast, Qwen3VLProcessor
from transformers.video_utils import VideoMetadata

tokenizer3 = PreTrainedTokenizerFast(tokenizer_file=str(out3 / "tokenizer.json"))
processor3 = Qwen3VLProcessor(image_processor=transformers.AutoImageProcessor.from_pretrained(out3),
                              tokenizer=tokenizer3,
                              video_processor=transformers.AutoVideoProcessor.from_pretrained(out3))
print(type(processor3.image_processor).__name__, type(processor3.video_processor).__name__)
# qwen-vl-utils' video_metadata: a decoded file keeps its fps and sampled indices, a list of frames is said to be
# taken at 2 fps, its (padded) frames numbered 0..n-1
metadata = [VideoMetadata(total_num_frames=CLIP_FRAMES, fps=VIDEO_FPS, frames_indices=clip_indices),
            VideoMetadata(total_num_frames=int(listed.shape[0]), fps=listed_fps,
                          frames_indices=list(range(int(listed.shape[0]))))]
seg = " ".join
prompt_text = [seg(["w1", "w17"]), seg(["w93"]), seg(["w5"]), seg(["w44", "w8", "w61", "w20", "w33"])]
placeholders = ["<|vision_start|><|video_pad|><|vision_end|>", "<|vision_start|><|image_pad|><|vision_end|>",
                "<|vision_start|><|video_pad|><|vision_end|>"]
text = prompt_text[0] + placeholders[0] + prompt_text[1] + placeholders[1] + prompt_text[2] + placeholders[2] \
    + prompt_text[3]
inputs3 = processor3(text=[text], images=[Image.open(out / "a.png").convert("RGB")], videos=[clip, listed],
                     videos_kwargs=dict(do_resize=False, do_sample_frames=False, video_metadata=metadata),
                     return_tensors="pt")
ids3 = inputs3["input_ids"]
# the prompt as Osprey's encoder gives it (pads cut out) and each part's run, to label the runs -100
prompt3, runs, parts3 = [], [], []
video_index = 0
for i, piece in enumerate(prompt_text):
    prompt3 += tokenizer3(piece, add_special_tokens=False)["input_ids"]
    if i < 3:
        prompt3 += [150]
        kind = "image" if i == 1 else "video"
        parts3.append([kind, len(prompt3)])
        prompt3 += [153]
expanded3, labels3, at = [], [], 0
grid_v = inputs3["video_grid_thw"]
for kind, position in parts3:
    if kind == "image":
        run_text = processor3.replace_image_token(inputs3, 0)
    else:
        run_text = processor3.replace_video_token(dict(video_grid_thw=grid_v, video_metadata=metadata), video_index)
        video_index += 1
    run = tokenizer3(run_text, add_special_tokens=False)["input_ids"]
    expanded3 += prompt3[at:position] + run
    labels3 += prompt3[at:position] + [-100] * len(run)
    at = position
expanded3 += prompt3[at:]
labels3 += prompt3[at:]
labels3[0] = -100
assert expanded3 == ids3[0].tolist(), (expanded3, ids3[0].tolist())
pv3 = inputs3["pixel_values_videos"]
for case, model_class in (("qwen3-vl", "Qwen3VLForConditionalGeneration"),
                          ("qwen3-vl-moe", "Qwen3VLMoeForConditionalGeneration")):
    model = getattr(transformers, model_class).from_pretrained(ref_dir / case, dtype=torch.float32).eval()
    with torch.no_grad():
        result = model(input_ids=ids3, attention_mask=torch.ones_like(ids3),
                       mm_token_type_ids=inputs3["mm_token_type_ids"], labels=torch.tensor([labels3]),
                       pixel_values=inputs3["pixel_values"], image_grid_thw=inputs3["image_grid_thw"],
                       pixel_values_videos=pv3, video_grid_thw=grid_v)
    ref = {
        "transformers_version": transformers.__version__, "env": ENV,
        "videos": ["clip.mp4", "frames5"], "image": "a.png",
        "video_fps": [VIDEO_FPS, listed_fps], "frames_indices": [m.frames_indices for m in metadata],
        "prompt_ids": prompt3, "parts": parts3, "input_ids": expanded3, "labels": labels3,
        "video_grid_thw": grid_v.tolist(),
        "pixel_values_videos_shape": list(pv3.shape),
        "pixel_values_videos_sum": float(pv3.double().sum()),
        "pixel_values_videos_abs_sum": float(pv3.double().abs().sum()),
        "pixel_values_videos_first": pv3[0, :8].tolist(),
        "pixel_values_videos_last": pv3[-1, -8:].tolist(),
        "second_per_grid_ts": None,
        "timestamps": [processor3.replace_video_token(dict(video_grid_thw=grid_v, video_metadata=metadata), v)
                       .split("<|vision_start|>")[0] for v in range(2)],
        "logits": values(result.logits.float()), "loss": float(result.loss),
    }
    (out3 / f"{case}.json").write_text(json.dumps(ref) + "\n")
    print(case, "grid", grid_v.tolist(), "ids", len(expanded3), "loss", float(result.loss))
print(text)
print(tokenizer3.decode(expanded3))
