#!/usr/bin/env python3
"""Writes tiny checkpoints for the tasks beyond causal LM and the numbers transformers computes for them.

- seq-cls-qwen2, seq-cls-llama: Qwen2ForSequenceClassification / LlamaForSequenceClassification (num_labels 3,
  untied, so the folder has no lm_head as real classifier checkpoints) with the logits of a right-padded batch
  and the loss of each problem_type (single_label_classification, multi_label_classification, regression), and
  a PEFT adapter as ms-swift saves a seq_cls LoRA run (task_type SEQ_CLS, modules_to_save ["score"]: its own
  score.weight beside the LoRA weights) with the logits PEFT's formula gives.
- embedding-qwen3: a bare Qwen3Model (as Qwen3-Embedding's checkpoints: keys without the "model." prefix, no
  lm_head) with its last hidden state pooled at the last token and by the mean over real tokens, L2-normalised,
  for a left-padded batch (as Qwen3-Embedding pads), ms-swift's infonce and cosine_similarity losses on them, and
  a byte-level BPE tokenizer for serving tests.
- reranker-qwen3: a Qwen3ForCausalLM read as Qwen3-Reranker reads it (its prompt; softmax of the "no"/"yes" logits
  at the last token), with a word-level tokenizer that has "yes" and "no" as tokens.

Run in a Python with torch, transformers and safetensors (the sid chroot):
    python3 tools/make-task-fixtures.py OUT_DIR      # the tests read bundles/train/src/test/resources/tasks
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "bundles", "export", "src", "test", "resources", "gguf", "tokenizer.json")
SEED = 4321
TINY = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
            pad_token_id=0, tie_word_embeddings=False)
# no pad id (0) among the real tokens: transformers finds a row's last token by input_ids != pad_token_id
RIGHT_PADDED = [[5, 17, 33, 9, 71, 4], [12, 8, 99, 0, 0, 0]]
LEFT_PADDED = [[5, 17, 33, 9, 71, 4], [0, 0, 0, 12, 8, 99], [0, 44, 17, 33, 9, 70], [0, 0, 12, 8, 98, 97]]


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 / math.sqrt(p.shape[-1])))


def tensor(t):
    return dict(shape=list(t.shape), values=t.tolist())


def seq_cls(name, model_type, out_dir):
    torch.manual_seed(SEED)
    config = AutoConfig.for_model(model_type, num_labels=3, **TINY)
    model = AutoModelForSequenceClassification.from_config(config, dtype=torch.float32,
                                                           attn_implementation="eager").eval()
    randomize(model, SEED)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    ids = torch.tensor(RIGHT_PADDED)
    mask = (ids != 0).long()
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               input_ids=ids.tolist(), attention_mask=mask.tolist())
    labels = dict(single_label_classification=torch.tensor([2, 0]),
                  multi_label_classification=torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
                  regression=torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]))
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
        ref["logits"] = tensor(logits)
        ref["losses"] = {}
        for problem, label in labels.items():
            model.config.problem_type = problem
            out = model(input_ids=ids, attention_mask=mask, labels=label)
            ref["losses"][problem] = dict(labels=label.tolist(), loss=float(out.loss))
        model.config.problem_type = None
        ref["lora"] = dict(folder="adapter", logits=tensor(seq_cls_adapter(model, os.path.join(folder, "adapter"))(ids, mask)))
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: logits {logits.tolist()}")


def seq_cls_adapter(model, folder):
    """A PEFT SEQ_CLS adapter: LoRA on q_proj/v_proj and a trained copy of the score head (modules_to_save)."""
    g = torch.Generator().manual_seed(SEED + 1)
    r, alpha = 4, 8
    tensors, merged = {}, {}
    for name, module in model.named_modules():
        if name.split(".")[-1] in ("q_proj", "v_proj") and isinstance(module, torch.nn.Linear):
            out_f, in_f = module.weight.shape
            a = torch.randn(r, in_f, generator=g) * 0.3
            b = torch.randn(out_f, r, generator=g) * 0.3
            tensors[f"base_model.model.{name}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{name}.lora_B.weight"] = b.contiguous()
            merged[name] = alpha / r * (b @ a)
    score = torch.randn(model.score.weight.shape, generator=g) * 0.2
    # PEFT's get_peft_model_state_dict strips "modules_to_save.default." from the saved key
    tensors["base_model.model.score.weight"] = score.contiguous()
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="SEQ_CLS", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=["q_proj", "v_proj"], use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=["score"]), f, indent=2)
    copy = type(model)(model.config)
    copy.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, module in copy.named_modules():
            if name in merged:
                module.weight.add_(merged[name])
        copy.score.weight.copy_(score)
    copy.eval()
    return lambda ids, mask: copy(input_ids=ids, attention_mask=mask).logits


def embedding(name, out_dir):
    torch.manual_seed(SEED)
    config = AutoConfig.for_model("qwen3", head_dim=16, **TINY)
    model = AutoModel.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    randomize(model, SEED + 2)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    shutil.copy(TOKENIZER, os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(dict(eos_token="<|endoftext|>", pad_token="<|endoftext|>", padding_side="left",
                       model_max_length=64), f, indent=2)
    ids = torch.tensor(LEFT_PADDED)
    mask = (ids != 0).long()
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, H)
    last = F.normalize(hidden[:, -1], p=2, dim=-1)  # left padding: every row ends at the last position
    mean = F.normalize((hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True), p=2, dim=-1)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               input_ids=ids.tolist(), attention_mask=mask.tolist(),
               last_token=tensor(last), mean=tensor(mean),
               last_token_dimensions_16=tensor(F.normalize(last[:, :16], p=2, dim=-1)))
    # ms-swift's losses (swift/plugin/loss.py) on rows 0, 1 as anchors and rows 2, 3 as their positives:
    # infonce with in-batch negatives at INFONCE_TEMPERATURE 0.01, cosine_similarity as the MSE of the cosines
    anchors, others = last[:2], last[2:]
    ref["infonce"] = [dict(temperature=t, anchors=[0, 1], others=[2, 3], positives=p,
                           loss=float(F.cross_entropy(anchors @ others.T / t, torch.tensor(p))))
                      for t, p in ((0.01, [1, 0]), (0.1, [0, 1]), (0.05, [1, 1]))]
    labels = torch.tensor([0.8, -0.2])
    ref["cosine_similarity"] = dict(labels=labels.tolist(),
                                    loss=float(F.mse_loss(F.cosine_similarity(anchors, others), labels)))
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: last-token {last[:, :4].tolist()}, infonce {[c['loss'] for c in ref['infonce']]}")


RERANK_PREFIX = ("<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the "
                 "Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n")
RERANK_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
RERANK_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
RERANK_QUERY = "what is the capital of china"
RERANK_DOCUMENTS = ["the capital of china is beijing", "gravity is a force that attracts two bodies",
                    "china is a country in asia"]


def word_tokenizer(texts, folder):
    """A word-level tokenizer.json (Whitespace pre-tokenizer) over the words of texts, with Qwen's special tokens
    and single tokens for "yes" and "no", which Qwen3-Reranker reads; 128 entries."""
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]
    words = list(specials) + ["yes", "no"]
    splitter = pre_tokenizers.Whitespace()
    for text in texts:
        for piece in text.replace("<|im_start|>", " ").replace("<|im_end|>", " ").split():
            for word, _ in splitter.pre_tokenize_str(piece):
                if word not in words:
                    words.append(word)
    assert len(words) <= 128, len(words)
    words += [f"w{i}" for i in range(128 - len(words))]
    tok = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = splitter
    tok.add_special_tokens(specials[:3])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   unk_token="<unk>", padding_side="left")
    fast.save_pretrained(folder)
    return fast


def generative_reranker(name, out_dir):
    torch.manual_seed(SEED)
    config = AutoConfig.for_model("qwen3", head_dim=16, **dict(TINY, tie_word_embeddings=True, max_position_embeddings=128))
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    randomize(model, SEED + 3)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    tokenizer = word_tokenizer([RERANK_PREFIX, RERANK_SUFFIX, RERANK_INSTRUCTION, RERANK_QUERY] + RERANK_DOCUMENTS, folder)
    # Qwen3-Reranker's own recipe (its model card): prefix + "<Instruct>: ...<Query>: ...<Document>: ..." + suffix,
    # each part tokenized without special tokens, left-padded; the score is softmax([no, yes])[yes] at the last token
    prefix = tokenizer.encode(RERANK_PREFIX, add_special_tokens=False)
    suffix = tokenizer.encode(RERANK_SUFFIX, add_special_tokens=False)
    pairs = [f"<Instruct>: {RERANK_INSTRUCTION}\n<Query>: {RERANK_QUERY}\n<Document>: {d}" for d in RERANK_DOCUMENTS]
    rows = [prefix + tokenizer.encode(p, add_special_tokens=False) + suffix for p in pairs]
    batch = tokenizer.pad({"input_ids": rows}, padding=True, return_tensors="pt")
    yes, no = tokenizer.convert_tokens_to_ids("yes"), tokenizer.convert_tokens_to_ids("no")
    with torch.no_grad():
        last = model(**batch).logits[:, -1, :]
    pair = torch.stack([last[:, no], last[:, yes]], dim=1)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               query=RERANK_QUERY, documents=RERANK_DOCUMENTS, instruction=RERANK_INSTRUCTION, yes_id=yes, no_id=no,
               input_ids=rows, logit_difference=(last[:, yes] - last[:, no]).tolist(),
               relevance_score=torch.log_softmax(pair, dim=1)[:, 1].exp().tolist())
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: scores {ref['relevance_score']}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "task-fixtures"
    torch.set_num_threads(1)
    seq_cls("seq-cls-qwen2", "qwen2", out)
    seq_cls("seq-cls-llama", "llama", out)
    embedding("embedding-qwen3", out)
    generative_reranker("reranker-qwen3", out)
