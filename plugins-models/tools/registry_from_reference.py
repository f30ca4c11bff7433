#!/usr/bin/env python3
"""Writes each model bundle's models.json from ../shared/reference/model-ids.json: the ids whose
Hugging Face architecture the bundle runs, with "task" on the entries of embedding, reranker and reward models
(ms-swift's --task_type, which osprey deploy serves; an entry without it is a causal LM). Usage: python3
plugins-models/tools/registry_from_reference.py (a committed file's order, and the tags its entries have beyond the
generated ones, such as qwen2_moe's "moe" or a quantized checkpoint's "gptq", are kept)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "model-ids.json")

# bundle -> {HF architecture: HF model_type it runs as}
BUNDLES = {
    "llama": {"LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "MixtralForCausalLM": "mixtral",
              "SeedOssForCausalLM": "seed_oss", "XverseForCausalLM": "xverse", "IQuestCoderForCausalLM": "iquestcoder",
              "LlamaForSequenceClassification": "llama"},
    "qwen": {"Qwen2ForCausalLM": "qwen2", "Qwen2MoeForCausalLM": "qwen2_moe", "Qwen3ForCausalLM": "qwen3",
             "Qwen3MoeForCausalLM": "qwen3_moe", "MiMoForCausalLM": "mimo", "Qwen3NextForCausalLM": "qwen3_next"},
    "gemma": {"GemmaForCausalLM": "gemma", "Gemma2ForCausalLM": "gemma2", "Gemma3ForCausalLM": "gemma3_text"},
    "phi3": {"Phi3ForCausalLM": "phi3"},
    "glm": {"GlmForCausalLM": "glm", "Glm4ForCausalLM": "glm4", "Glm4MoeForCausalLM": "glm4_moe", "ChatGLMModel": "chatglm",
            "ChatGLMForConditionalGeneration": "chatglm"},
    "olmoe": {"OlmoeForCausalLM": "olmoe"},
    "cohere": {"CohereForCausalLM": "cohere"},
    "ernie": {"Ernie4_5ForCausalLM": "ernie4_5", "Ernie4_5_ForCausalLM": "ernie4_5", "Ernie4_5_MoeForCausalLM": "ernie4_5_moe"},
    "deepseek": {"DeepseekV2ForCausalLM": "deepseek_v2", "DeepseekV3ForCausalLM": "deepseek_v3",
                 "DeepseekV32ForCausalLM": "deepseek_v32", "GlmMoeDsaForCausalLM": "glm_moe_dsa",
                 "DeepseekForCausalLM": "deepseek"},
    "qwen1": {"QWenLMHeadModel": "qwen"},
    "internlm": {"InternLM2ForCausalLM": "internlm2", "InternLM3ForCausalLM": "internlm3", "InternLMForCausalLM": "internlm"},
    "minicpm": {"MiniCPMForCausalLM": "minicpm"},
    "baichuan": {"BaichuanForCausalLM": "baichuan", "BaiChuanForCausalLM": "baichuan"},
    "telechat": {"TelechatForCausalLM": "telechat", "TeleChatForCausalLM": "telechat", "TeleChat2ForCausalLM": "telechat2"},
    "dots": {"Dots1ForCausalLM": "dots1"},
    "minimax": {"MiniMaxM2ForCausalLM": "minimax_m2"},
    "hunyuan": {"HunYuanDenseV1ForCausalLM": "hunyuan_v1_dense", "HYV3ForCausalLM": "hy_v3",
                "HunYuanMoEV1ForCausalLM": "hunyuan_v1_moe"},
    "bailing": {"BailingMoeForCausalLM": "bailing_moe", "BailingMoeV2ForCausalLM": "bailing_moe"},
    "qwen-vl": {"Qwen2VLForConditionalGeneration": "qwen2_vl", "Qwen2_5_VLForConditionalGeneration": "qwen2_5_vl",
                "Qwen3VLForConditionalGeneration": "qwen3_vl", "Qwen3VLMoeForConditionalGeneration": "qwen3_vl_moe"},
    "internvl": {"InternVLChatModel": "internvl_chat", "InternVLForConditionalGeneration": "internvl"},
}
# bundles of vision-language models: their ms-swift model types are multimodal ones, and their entries get these
# tags (and "awq" for an AWQ checkpoint). A "repo:subfolder" id (ms-swift's InternVL2-Pretrain-Models:InternVL2-1B-Pretrain)
# is one model in a folder of the repository, which the hub code downloads alone
MULTIMODAL = {"qwen-vl": ["multimodal", "vision", "video"], "internvl": ["multimodal", "vision"]}
# multimodal model types whose thinking checkpoints say so in their ids (Qwen3-VL-*-Thinking)
THINKING_IN_ID = {"qwen3_vl", "qwen3_vl_moe", "qwen3_next"}
# multimodal bundle -> {ms-swift model type: (Osprey model_type, HF architecture)}: these share architecture names
# across towers and language models (LlavaForConditionalGeneration is LLaVA 1.5 with CLIP and Pixtral 12B), so the
# model type says which ids run
MULTIMODAL_BUNDLES = {
    "llava": {"mistral3": ("mistral3", "Mistral3ForConditionalGeneration"),
              "mistral3_2506": ("mistral3", "Mistral3ForConditionalGeneration"),
              "pixtral": ("llava", "LlavaForConditionalGeneration"),
              "llava1_5_hf": ("llava", "LlavaForConditionalGeneration"),
              "llava_llama3_hf": ("llava", "LlavaForConditionalGeneration"),
              "llava1_6_vicuna_hf": ("llava_next", "LlavaNextForConditionalGeneration"),
              "llava1_6_mistral_hf": ("llava_next", "LlavaNextForConditionalGeneration"),
              "llava1_6_yi_hf": ("llava_next", "LlavaNextForConditionalGeneration"),
              "llama3_llava_next_hf": ("llava_next", "LlavaNextForConditionalGeneration"),
              "llava_next_qwen_hf": ("llava_next", "LlavaNextForConditionalGeneration"),
              "llava_llama3_1_hf": ("llava_next", "LlavaNextForConditionalGeneration")},
}
# Ministral 3 (2512): its text_config is a ministral3 language model (YaRN rope and Llama 4's position-dependent
# query scaling), which no installed family runs
MULTIMODAL_NOT_PROVEN = ("mistralai/ministral-3-",)
# ms-swift model types whose architecture runs for a task beyond causal LM, and that task: Qwen3-Embedding (a bare
# Qwen3Model pooled at the last token), Qwen3-Reranker (its yes/no logits), Llama reward models (a one-label score head)
TASKS = {"qwen3_emb": "embedding", "qwen3_reranker": "generative_reranker", "llama3_2_reward": "seq_cls"}
# ms-swift model types with these architectures that are not run: GTE-Qwen2 attends bidirectionally
NOT_CAUSAL_LM = {"qwen2_gte"}
# tags kept beside the model type's own, by model type
EXTRA_TAGS = {"qwen2_moe": ["moe"]}
# tags of single ids
ID_TAGS = {"ByteDance-Seed/Seed-OSS-36B-Instruct": ["thinking"]}
# bitsandbytes-quantized checkpoints: the model loader refuses them (it reads GPTQ, AWQ and FP8 ones), so they are
# not ids that run
BITSANDBYTES = ("bnb-4bit", "bnb-nf4", "bnb-8bit")
# ms-swift model types that share an architecture name with a dense family but have experts it lacks, or a task
# that is not proven (GME's and Qwen3-VL's embedding and reranker models)
OTHER_BLOCKS = {"xverse_moe", "minicpm_moe", "qwen2_gme", "qwen3_vl_emb", "qwen3_vl_reranker"}
# ids whose own code computes what their config does not say: ChatGLM2-6B-32K divides the positions by rope_ratio
# where ChatGLM3 and GLM-4 (same config fields) scale the rotary base
NOT_PROVEN = {"zai-org/chatglm2-6b-32k",
              # InternVL: bitsandbytes int8; a GPT-OSS language model (no gpt_oss family); an InternLM3 text_config
              # in the transformers format, not verified
              "opengvlab/internvl-chat-v1-5-int8", "opengvlab/internvl3_5-gpt-oss-20b-a4b-preview",
              "opengvlab/internvl3_5-gpt-oss-20b-a4b-preview-hf", "opengvlab/internvl3-9b-hf",
              # Baichuan 2's -4bits checkpoints are bitsandbytes ones (a load_in_4bit quantization_config)
              "baichuan-inc/baichuan2-7b-chat-4bits", "baichuan-inc/baichuan2-13b-chat-4bits"}
# FP8 checkpoints of multimodal types without a pre-quantized fixture yet (which of their vision modules stay dense,
# and Qwen3-VL-MoE's FP8 experts, stored one by one rather than stacked, are unproven)
NOT_PROVEN_FP8 = {"qwen3_vl", "qwen3_vl_moe"}


def keep_committed(entries, path):
    """Adds to each entry the tags its committed entry in path has beyond the generated ones, and keeps the committed
    order (new entries after the committed ones, by id): regenerating a committed file changes nothing."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        committed = json.load(f)
    tags = {e["id"]: e["tags"] for e in committed}
    for entry in entries:
        entry["tags"] += [t for t in tags.get(entry["id"], []) if t not in entry["tags"]]
    position = {e["id"]: i for i, e in enumerate(committed)}
    entries.sort(key=lambda e: position.get(e["id"], len(position)))


def write(bundle, entries):
    """Writes a bundle's models.json: its entries by id, the committed file's order and extra tags kept."""
    entries.sort(key=lambda e: e["id"].lower())
    out = os.path.join(ROOT, "plugins-models", bundle, "src", "main", "resources", "models.json")
    keep_committed(entries, out)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{bundle}: {len(entries)} models -> {os.path.relpath(out, ROOT)}", file=sys.stderr)


def main():
    with open(REFERENCE, encoding="utf-8") as f:
        reference = json.load(f)
    for bundle, archs in BUNDLES.items():
        multimodal = bundle in MULTIMODAL
        entries, seen = [], set()
        for group in reference["model_types"]:
            if group["multimodal"] != multimodal or group["model_type"] in NOT_CAUSAL_LM | OTHER_BLOCKS:
                continue
            arch = next((a for a in group["hf_architectures"] if a in archs), None)
            if arch is None:
                continue
            for ids in group["ids"]:
                hf, ms = ids.get("huggingface"), ids.get("modelscope")
                key = (hf or ms).lower()
                if key in seen or key in NOT_PROVEN or any(marker in key for marker in BITSANDBYTES):
                    continue
                if group["model_type"] in NOT_PROVEN_FP8 and key.endswith("-fp8"):
                    continue
                seen.add(key)
                task = TASKS.get(group["model_type"])
                tags = [group["model_type"]] + EXTRA_TAGS.get(group["model_type"], []) + MULTIMODAL.get(bundle, [])
                tags += ["awq"] if multimodal and key.endswith("-awq") else []
                tags += ["gptq"] if group["model_type"] in EXTRA_TAGS and "gptq" in key else []
                tags += ["thinking"] if group["model_type"] in THINKING_IN_ID and "thinking" in key else []
                tags += (["thinking"] if task is None and ("qwq" in key or "-r1" in key or (archs[arch] in ("qwen3", "qwen3_moe") and "instruct" not in key and "base" not in key)) else [])
                entry = {"id": hf or ms, "modelscope_id": ms or "", "model_type": archs[arch],
                         "architecture": arch, "template": "", "tags": tags, "requires": {}}
                entry["tags"] += ID_TAGS.get(hf or ms, [])
                if task is not None:
                    entry["task"] = task
                entries.append(entry)
        write(bundle, entries)
    for bundle, types in MULTIMODAL_BUNDLES.items():
        entries, seen = [], set()
        for group in reference["model_types"]:
            if group["model_type"] not in types:
                continue
            model_type, arch = types[group["model_type"]]
            for ids in group["ids"]:
                hf, ms = ids.get("huggingface"), ids.get("modelscope")
                key = (hf or ms).lower()
                if key in seen or key.startswith(MULTIMODAL_NOT_PROVEN):
                    continue
                seen.add(key)
                entries.append({"id": hf or ms, "modelscope_id": ms or "", "model_type": model_type,
                                "architecture": arch, "template": "",
                                "tags": [group["model_type"], "multimodal", "vision"], "requires": {}})
        write(bundle, entries)


if __name__ == "__main__":
    main()
