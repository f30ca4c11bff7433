#!/usr/bin/env python3
"""Transformers' answers to the tiny benchmark fixtures of distribution/itest (EvalJobTest): the qwen2 reference
checkpoint with the word-level tokenizer of eval/word-model asked each question of the MMLU-, C-Eval- and
ARC- and HellaSwag-layout fixtures with one answered example, as Osprey's evaluators ask them (each benchmark's prompt; a label's
continuation scored as lm-eval-harness scores it: the tokens that encoding context + continuation adds). Writes the
letter log-likelihoods, predictions and accuracy to eval/{mmlu,ceval,arc,hellaswag}-golden.json (HellaSwag's
endings scored after lm-eval-harness's cleaning, with acc_norm). GSM8K is asked by
generation as lm-eval-harness asks it (greedy, cut at its stop strings; its strict-match and flexible-extract
regular expressions and exact-match rules), with the digit-level tokenizer of eval/digit-model and one worked
examples, into eval/gsm8k-golden.json.

    python3 tools/make-eval-fixtures.py ROOT

Run it where transformers and torch are installed (the Debian sid chroot of docs/architecture.md); ROOT is the
repository (torch's native libraries may print to stdout, so the results go to files).
"""
import csv
import json
import os
import re
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

FEW_SHOT = 1


def question_text(q, cue):
    text = q["question"].strip() + "\n"
    for label, choice in zip(q["labels"], q["choices"]):
        text += f"{label}. {choice.strip()}\n"
    return text + cue


def mmlu_prompt(subject, q, shots):
    text = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
    for s in shots:
        text += question_text(s, "Answer:") + f" {s['answer']}\n\n"
    return text + question_text(q, "Answer:")


def ceval_prompt(subject, q, shots):
    text = f"以下是中国关于{subject.replace('_', ' ')}考试的单项选择题，请选出其中的正确答案。\n\n"
    for s in shots:
        text += question_text(s, "答案：") + f"{s['answer']}\n\n"
    return text + question_text(q, "答案：")


def arc_prompt(subject, q, shots):
    text = ""
    for s in shots:
        text += "Question: " + question_text(s, "Answer:") + f" {s['answer']}\n\n"
    return text + "Question: " + question_text(q, "Answer:")


def csv_questions(path, header):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    first = 0
    if header:
        first = rows[0].index("question")
        rows = rows[1:]
    return [dict(question=r[first], labels=list("ABCD"), choices=r[first + 1:first + 5], answer=r[first + 5].strip())
            for r in rows]


def arc_questions(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [dict(question=r["question"]["stem"], labels=[c["label"] for c in r["question"]["choices"]],
                 choices=[c["text"] for c in r["question"]["choices"]], answer=r["answerKey"]) for r in rows]


def subjects(folder, suffix, read):
    return {name[: -len(suffix)]: read(os.path.join(folder, name))
            for name in sorted(os.listdir(folder)) if name.endswith(suffix)}


def answer(model, tokenizer, subject, questions, shots, prompt, before_label):
    answers = []
    for index, q in enumerate(questions):
        context = prompt(subject, q, shots[:FEW_SHOT])
        context_ids = tokenizer.encode(context).ids
        scores = []
        for label in q["labels"]:
            whole = tokenizer.encode(context + before_label + label).ids
            tail = whole[len(context_ids):]
            with torch.no_grad():
                logp = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
            scores.append(sum(logp[len(context_ids) - 1 + t, tok].item() for t, tok in enumerate(tail)))
        predicted = q["labels"][max(range(len(scores)), key=lambda i: scores[i])]
        answers.append(dict(subject=subject, index=index, answer=q["answer"], predicted=predicted,
                            log_likelihoods=scores))
    return answers


def hellaswag_clean(text):
    """lm-eval-harness's hellaswag preprocess."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def hellaswag(model, tokenizer, fixtures):
    data = os.path.join(fixtures, "hellaswag/data")
    def read(split):
        rows = [json.loads(l) for l in open(os.path.join(data, f"hellaswag_{split}.jsonl"), encoding="utf-8") if l.strip()]
        return [dict(query=hellaswag_clean(r["activity_label"] + ": " + r["ctx_a"] + " " + r["ctx_b"].capitalize()),
                     choices=[hellaswag_clean(e) for e in r["endings"]], gold=int(r["label"])) for r in rows]
    shots = read("train")[:FEW_SHOT]
    prefix = "".join(s["query"] + " " + s["choices"][s["gold"]] + "\n\n" for s in shots)
    answers = []
    for index, q in enumerate(read("val")):
        context = prefix + q["query"]
        context_ids = tokenizer.encode(context).ids
        scores = []
        for choice in q["choices"]:
            whole = tokenizer.encode(context + " " + choice).ids
            tail = whole[len(context_ids):]
            with torch.no_grad():
                logp = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
            scores.append(sum(logp[len(context_ids) - 1 + t, tok].item() for t, tok in enumerate(tail)))
        norm = [sc / len(" " + c) for sc, c in zip(scores, q["choices"])]
        answers.append(dict(subject="hellaswag", index=index, answer=str(q["gold"]),
                            predicted=str(max(range(4), key=lambda i: scores[i])),
                            predicted_norm=str(max(range(4), key=lambda i: norm[i])), log_likelihoods=scores))
    acc = sum(a["predicted"] == a["answer"] for a in answers) / len(answers)
    acc_norm = sum(a["predicted_norm"] == a["answer"] for a in answers) / len(answers)
    with open(os.path.join(fixtures, "hellaswag-golden.json"), "w", encoding="utf-8") as f:
        json.dump(dict(few_shot_num=FEW_SHOT, acc=acc, acc_norm=acc_norm, answers=answers), f, indent=1)


GSM8K_SHOTS = 1
GSM8K_MAX_TOKENS = 12
GSM8K_UNTIL = ["Question:", "</s>", "<|im_end|>"]
GSM8K_IGNORED = [",", r"\$", r"(?s).*#### ", r"\.$"]


def gsm8k_filters(completion):
    """lm-eval-harness's gsm8k filters: strict-match takes the first '#### N', flexible-extract the last number."""
    strict = re.findall(r"#### (\-?[0-9\.\,]+)", completion)
    flexible = [m for m in re.findall(r"(-?[$0-9.,]{2,})|(-?[0-9]+)", completion)]
    last = [g for g in flexible[-1] if g] if flexible else []
    return {"strict-match": strict[0].strip() if strict else "",
            "flexible-extract": last[0].strip() if last else ""}


def gsm8k_normalised(text):
    for pattern in GSM8K_IGNORED:
        text = re.sub(pattern, "", text)
    return text.lower().strip()


def gsm8k(model, fixtures):
    tokenizer = Tokenizer.from_file(os.path.join(fixtures, "digit-model/tokenizer.json"))
    data = os.path.join(fixtures, "gsm8k/grade_school_math/data")
    read = lambda split: [json.loads(l) for l in open(os.path.join(data, split + ".jsonl"), encoding="utf-8") if l.strip()]
    shots = read("train")[:GSM8K_SHOTS]
    prefix = "".join(f"Question: {s['question']}\nAnswer: {s['answer']}\n\n" for s in shots)
    answers = []
    for index, row in enumerate(read("test")):
        ids = tokenizer.encode(prefix + f"Question: {row['question']}\nAnswer:").ids
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 max_new_tokens=GSM8K_MAX_TOKENS, do_sample=False)
        completion = tokenizer.decode(out[0, len(ids):].tolist(), skip_special_tokens=True)
        for stop in GSM8K_UNTIL:
            completion = completion.split(stop)[0]
        gold = row["answer"][row["answer"].rindex("####") + 4:].strip()
        extracted = gsm8k_filters(completion)
        answers.append(dict(subset="main", index=index, answer=gold, completion=completion, extracted=extracted,
                            correct={k: gsm8k_normalised(v) == gsm8k_normalised(gold) for k, v in extracted.items()}))
    acc = sum(a["correct"]["strict-match"] for a in answers) / len(answers)
    acc_flexible = sum(a["correct"]["flexible-extract"] for a in answers) / len(answers)
    with open(os.path.join(fixtures, "gsm8k-golden.json"), "w", encoding="utf-8") as f:
        json.dump(dict(few_shot_num=GSM8K_SHOTS, max_tokens=GSM8K_MAX_TOKENS, acc=acc, acc_flexible=acc_flexible,
                       answers=answers), f, indent=1, ensure_ascii=False)


def main():
    root = sys.argv[1]
    fixtures = os.path.join(root, "distribution/itest/src/test/resources/eval")
    tokenizer = Tokenizer.from_file(os.path.join(fixtures, "word-model/tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(
        os.path.join(root, "plugins-models/qwen/src/test/resources/reference/qwen2"), dtype=torch.float32).eval()
    benchmarks = {}
    mmlu = os.path.join(fixtures, "mmlu/data")
    tests = subjects(os.path.join(mmlu, "test"), "_test.csv", lambda p: csv_questions(p, False))
    dev = subjects(os.path.join(mmlu, "dev"), "_dev.csv", lambda p: csv_questions(p, False))
    benchmarks["mmlu"] = [a for s in tests for a in answer(model, tokenizer, s, tests[s], dev[s], mmlu_prompt, " ")]
    ceval = os.path.join(fixtures, "ceval")
    tests = subjects(os.path.join(ceval, "val"), "_val.csv", lambda p: csv_questions(p, True))
    dev = subjects(os.path.join(ceval, "dev"), "_dev.csv", lambda p: csv_questions(p, True))
    benchmarks["ceval"] = [a for s in tests for a in answer(model, tokenizer, s, tests[s], dev[s], ceval_prompt, "")]
    arc = os.path.join(fixtures, "arc")
    benchmarks["arc"] = []
    for subset in ["ARC-Challenge", "ARC-Easy"]:
        tests = arc_questions(os.path.join(arc, subset, subset + "-Test.jsonl"))
        train = arc_questions(os.path.join(arc, subset, subset + "-Train.jsonl"))
        benchmarks["arc"] += answer(model, tokenizer, subset, tests, train, arc_prompt, " ")
    gsm8k(model, fixtures)
    hellaswag(model, tokenizer, fixtures)
    for name, answers in benchmarks.items():
        acc = sum(a["predicted"] == a["answer"] for a in answers) / len(answers)
        with open(os.path.join(fixtures, name + "-golden.json"), "w", encoding="utf-8") as f:
            json.dump(dict(few_shot_num=FEW_SHOT, acc=acc, answers=answers), f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
