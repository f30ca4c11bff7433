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
             "Qwen3MoeForCausalLM": "qwen3_moe", "MiMoForCausalLM": "mimo"},
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
}
# multimodal bundles written here: bundle -> {HF architecture: model_type}; their entries are tagged
# [model_type, "multimodal", "vision"] (and "awq" for an AWQ checkpoint). A "repo:subfolder" id (ms-swift's
# InternVL2-Pretrain-Models:InternVL2-1B-Pretrain) is one model in a folder of the repository, which the hub code
# downloads alone
MULTIMODAL = {"internvl": {"InternVLChatModel": "internvl_chat", "InternVLForConditionalGeneration": "internvl"}}
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
# ms-swift model types that share an architecture name with a dense family but have experts it lacks
OTHER_BLOCKS = {"xverse_moe", "minicpm_moe"}
# ids whose own code computes what their config does not say: ChatGLM2-6B-32K divides the positions by rope_ratio
# where ChatGLM3 and GLM-4 (same config fields) scale the rotary base
NOT_PROVEN = {"zai-org/chatglm2-6b-32k",
              # InternVL: bitsandbytes int8; a GPT-OSS language model (no gpt_oss family); an InternLM3 text_config
              # in the transformers format, not verified
              "opengvlab/internvl-chat-v1-5-int8", "opengvlab/internvl3_5-gpt-oss-20b-a4b-preview",
              "opengvlab/internvl3_5-gpt-oss-20b-a4b-preview-hf", "opengvlab/internvl3-9b-hf",
              # Baichuan 2's -4bits checkpoints are bitsandbytes ones (a load_in_4bit quantization_config)
              "baichuan-inc/baichuan2-7b-chat-4bits", "baichuan-inc/baichuan2-13b-chat-4bits"}


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


def main():
    with open(REFERENCE, encoding="utf-8") as f:
        reference = json.load(f)
    for bundle, archs in {**BUNDLES, **MULTIMODAL}.items():
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
                seen.add(key)
                task = TASKS.get(group["model_type"])
                tags = [group["model_type"]] + EXTRA_TAGS.get(group["model_type"], [])
                tags += (["multimodal", "vision"] + (["awq"] if key.endswith("-awq") else [])) if multimodal else []
                tags += ["gptq"] if group["model_type"] in EXTRA_TAGS and "gptq" in key else []
                tags += (["thinking"] if task is None and ("qwq" in key or "-r1" in key or (archs[arch] in ("qwen3", "qwen3_moe") and "instruct" not in key and "base" not in key)) else [])
                entry = {"id": hf or ms, "modelscope_id": ms or "", "model_type": archs[arch],
                         "architecture": arch, "template": "", "tags": tags, "requires": {}}
                entry["tags"] += ID_TAGS.get(hf or ms, [])
                if task is not None:
                    entry["task"] = task
                entries.append(entry)
        entries.sort(key=lambda e: e["id"].lower())
        out = os.path.join(ROOT, "plugins-models", bundle, "src", "main", "resources", "models.json")
        keep_committed(entries, out)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"{bundle}: {len(entries)} models -> {os.path.relpath(out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
