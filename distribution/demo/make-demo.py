#!/usr/bin/env python3
"""Writes the built-in demo's instruction dataset and word-level tokenizer (standard library only).

The dataset mixes facts (which a model can only memorise) with copy and count tasks (which it can learn
to generalise), so the validation loss of `osprey sft` on the demo means something. Run from the
repository root; the model itself is made by `osprey create-model` (see distribution/demo/README.md).
"""
import json, random, pathlib

out = pathlib.Path("distribution/src/main/dist/demo")
rng = random.Random(7)
capitals = {"france": "paris", "italy": "rome", "spain": "madrid", "germany": "berlin", "japan": "tokyo",
            "egypt": "cairo", "peru": "lima", "kenya": "nairobi", "canada": "ottawa", "norway": "oslo",
            "chile": "santiago", "greece": "athens", "poland": "warsaw", "cuba": "havana", "ireland": "dublin"}
colours = {"sky": "blue", "grass": "green", "snow": "white", "coal": "black", "sun": "yellow", "blood": "red"}
numbers = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
words = ["red", "blue", "green", "cat", "dog", "bird", "fish", "tree", "river", "stone", "moon", "star", "rain", "wind"]

rows = []
for country, city in capitals.items():
    rows.append(("what is the capital of " + country + " ?", "the capital of " + country + " is " + city + " ."))
for thing, colour in colours.items():
    rows.append(("what colour is the " + thing + " ?", "the " + thing + " is " + colour + " ."))
for a in range(1, 7):
    for b in range(1, 7):
        rows.append(("what is " + numbers[a] + " plus " + numbers[b] + " ?", numbers[a] + " plus " + numbers[b] + " is " + numbers[a + b] + " ."))
for _ in range(60):
    picked = rng.sample(words, rng.randint(1, 4))
    rows.append(("repeat : " + " ".join(picked), " ".join(picked)))
rng.shuffle(rows)

# the pre-training corpus: every fact as a statement, and word sequences, so a base model pre-trained
# on it knows the facts and the words; supervised fine-tuning then teaches it to answer questions
corpus = ["the capital of " + c + " is " + city + " ." for c, city in capitals.items()]
corpus += ["the " + t + " is " + colour + " ." for t, colour in colours.items()]
corpus += [numbers[a] + " plus " + numbers[b] + " is " + numbers[a + b] + " ." for a in range(1, 7) for b in range(1, 7)]
corpus += [" ".join(rng.sample(words, 4)) for _ in range(40)]
with open(out / "data" / "corpus.jsonl", "w") as f:
    for line in corpus:
        f.write(json.dumps({"text": line}) + "\n")

system = "you are a helpful assistant ."
with open(out / "data" / "qa.jsonl", "w") as f:
    for q, a in rows:
        f.write(json.dumps({"messages": [{"role": "system", "content": system}, {"role": "user", "content": q},
                                         {"role": "assistant", "content": a}]}) + "\n")

vocab = ["<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "system", "user", "assistant"]
for q, a in rows:
    for w in (system + " " + q + " " + a).split():
        if w not in vocab:
            vocab.append(w)
special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": True}
tokenizer = {"version": "1.0", "truncation": None, "padding": None,
             "added_tokens": [special(1, "<|im_start|>"), special(2, "<|im_end|>"), special(3, "<|endoftext|>")],
             "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
             "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(vocab)}, "unk_token": "<unk>"}}
(out / "tokenizer.json").write_text(json.dumps(tokenizer))
print(len(rows), "rows,", len(vocab), "words")
