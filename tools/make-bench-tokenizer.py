#!/usr/bin/env python3
"""A byte-level BPE tokenizer of exactly VOCAB tokens (default 32000, the benchmark presets' vocabulary), for
benchmarks that serve random weights: with the 128-token test tokenizer most of a 32000-row model's tokens decode to
nothing, so a server streams no text for them. Trained by `tokenizers` on seeded pseudo-random words (the same
file on every run), three special tokens first (ids 0-2: <|endoftext|>, <|im_start|>, <|im_end|>).

    python3 tools/make-bench-tokenizer.py OUT_DIR [VOCAB]    (needs python3-tokenizers; writes tokenizer.json and
                                                              tokenizer_config.json)
"""
import json
import os
import random
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

out = sys.argv[1]
vocab = int(sys.argv[2]) if len(sys.argv) > 2 else 32000
rng = random.Random(0)
letters = "etaoinshrdlcumwfgypbvkjxqz"
weights = [26 - i for i in range(26)]  # a skew like English's, so longer pieces repeat often enough to merge
lines = [" ".join("".join(rng.choices(letters, weights, k=rng.randint(2, 9))) for _ in range(20)) for _ in range(60000)]
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(
    vocab_size=vocab, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    show_progress=False)
tokenizer.train_from_iterator(lines, trainer)
if tokenizer.get_vocab_size() != vocab:
    sys.exit(f"trained {tokenizer.get_vocab_size()} tokens, not {vocab}: the corpus is too small")
os.makedirs(out, exist_ok=True)
tokenizer.save(os.path.join(out, "tokenizer.json"))
with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
    json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>",
               "bos_token": None, "model_max_length": 4096}, f, indent=2)
