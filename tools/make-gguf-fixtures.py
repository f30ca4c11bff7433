#!/usr/bin/env python3
"""A tiny byte-level BPE tokenizer (GPT-2/Qwen2 style) for the 128-token reference checkpoints, for the GGUF tests.

llama.cpp reads only BPE vocabularies ("gpt2") for llama 3 and qwen2, and needs the newline token, so the
word-level demo tokenizer will not do. Ids: 0 <|endoftext|> (pad), 1 <|im_start|> (BOS), 2 <|im_end|> (EOS),
then the byte-level symbols of printable ASCII, space (Ġ) and newline (Ċ), then merges learnt from a short text
until the vocabulary has 128 entries. Checked by loading it with the tokenizers library.

    python3 tools/make-gguf-fixtures.py bundles/export/src/test/resources/gguf
"""
import collections
import json
import sys

from tokenizers import Tokenizer

out = sys.argv[1]
VOCAB = 128
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# GPT-2's byte-to-unicode map for the bytes used here
symbols = [chr(b) for b in range(33, 127)] + ["\u0120", "\u010a"]
vocab = {t: i for i, t in enumerate(SPECIALS + symbols)}

text = "the cat sat on the mat and the dog ate the hat then the cat and the dog sat in the sun\n" * 3
words = [[("\u0120" if c == " " else "\u010a" if c == "\n" else c) for c in w]
         for w in text.replace("\n", " \n").split(" ") if w]
words = [["\u0120"] + w for w in words]
merges = []
while len(vocab) < VOCAB:
    pairs = collections.Counter()
    for w in words:
        for a, b in zip(w, w[1:]):
            pairs[(a, b)] += 1
    (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
    merges.append(f"{a} {b}")
    vocab[a + b] = len(vocab)
    for w in words:
        i = 0
        while i < len(w) - 1:
            if w[i] == a and w[i + 1] == b:
                w[i:i + 2] = [a + b]
            i += 1

QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False,
                          special=True) for i, t in enumerate(SPECIALS)],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "post_processor": None,
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": merges},
}
with open(f"{out}/tokenizer.json", "w") as f:
    json.dump(tokenizer, f, ensure_ascii=False, indent=1)
config = {
    "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": False,
    "model_max_length": 64, "tokenizer_class": "PreTrainedTokenizerFast",
    "chat_template": "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                     " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
                     "{{ '<|im_start|>assistant\\n' }}{% endif %}",
}
with open(f"{out}/tokenizer_config.json", "w") as f:
    json.dump(config, f, indent=1)
check = Tokenizer.from_file(f"{out}/tokenizer.json")
ids = check.encode("the cat sat\n").ids
assert check.decode(ids) == "the cat sat\n", ids
print(len(vocab), "tokens,", len(merges), "merges; 'the cat sat\\n' ->", ids)
