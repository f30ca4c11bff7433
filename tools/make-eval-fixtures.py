#!/usr/bin/env python3
"""Transformers' answers to the tiny MMLU-layout fixture of distribution/itest (EvalJobTest): the qwen2 reference
checkpoint with the word-level tokenizer of eval/word-model asked each test question as MMLU's original prompt
(lm-eval-harness's: the continuation " X" scored as the tokens that encoding context + continuation adds), its
letter log-likelihoods, prediction and the accuracy, written as JSON.

    python3 tools/make-eval-fixtures.py ROOT FEW_SHOT distribution/itest/src/test/resources/eval/mmlu-golden.json

Run it where transformers and torch are installed (the Debian sid chroot of docs/architecture.md); ROOT is the
repository; the output path is relative to it (torch's native libraries may print to stdout).
"""
import csv
import json
import os
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

LETTERS = ["A", "B", "C", "D"]


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f) if r]


def question_text(q):
    text = q[0].strip() + "\n"
    for letter, choice in zip(LETTERS, q[1:5]):
        text += f"{letter}. {choice.strip()}\n"
    return text + "Answer:"


def prompt(subject, q, shots):
    text = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
    for s in shots:
        text += question_text(s) + f" {s[5].strip()}\n\n"
    return text + question_text(q)


def main():
    root, few_shot, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    data = os.path.join(root, "distribution/itest/src/test/resources/eval/mmlu/data")
    tokenizer = Tokenizer.from_file(os.path.join(root, "distribution/itest/src/test/resources/eval/word-model/tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(
        os.path.join(root, "plugins-models/qwen/src/test/resources/reference/qwen2"), dtype=torch.float32).eval()
    answers, correct = [], 0
    for name in sorted(os.listdir(os.path.join(data, "test"))):
        subject = name[: -len("_test.csv")]
        shots = rows(os.path.join(data, "dev", subject + "_dev.csv"))[:few_shot]
        for index, q in enumerate(rows(os.path.join(data, "test", name))):
            context = prompt(subject, q, shots)
            context_ids = tokenizer.encode(context).ids
            scores = []
            for letter in LETTERS:
                whole = tokenizer.encode(context + " " + letter).ids
                tail = whole[len(context_ids):]
                ids = torch.tensor([whole])
                with torch.no_grad():
                    logp = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
                scores.append(sum(logp[len(context_ids) - 1 + t, tok].item() for t, tok in enumerate(tail)))
            predicted = LETTERS[max(range(4), key=lambda i: scores[i])]
            correct += predicted == q[5].strip()
            answers.append(dict(subject=subject, index=index, answer=q[5].strip(), predicted=predicted,
                                log_likelihoods=scores))
    with open(os.path.join(root, output), "w", encoding="utf-8") as f:
        json.dump(dict(few_shot_num=few_shot, acc=correct / len(answers), answers=answers), f, indent=1)


if __name__ == "__main__":
    main()
