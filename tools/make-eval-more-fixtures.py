"""Golden answers of transformers for the CMMLU-, general_mcq-, TruthfulQA-, IFEval- and general_qa-layout fixtures.

The reference qwen2 checkpoint with the word-level tokenizer of eval/word-model is asked each CMMLU and general_mcq
question with one answered example as Osprey's evaluators ask them (a label's continuation scored as lm-eval-harness
scores it: the tokens that encoding context + continuation adds), and each TruthfulQA question after the QA prompt
(mc1: the most likely answer is the true one; mc2: the normalised probability mass of the true answers). With the
digit-level tokenizer of eval/digit-model it writes greedy completions (12 new tokens) of the IFEval prompts and the
general_qa queries; the IFEval verdicts of the instructions the fixture uses are computed here with IFEval's own
rules (strict, and loose over the eight readings of the paper), general_qa's exact match, ROUGE-L F1 and BLEU-1 with
the formulas EvalScope reports; the second general_qa row's response is set to its completion, so it matches
exactly. Writes eval/{cmmlu,general_mcq,truthful_qa,ifeval,general_qa}-golden.json.

    python3 tools/make-eval-more-fixtures.py ROOT

Run it where transformers and torch are installed (the Debian sid chroot of docs/architecture.md).
"""
import csv
import importlib.util
import json
import math
import os
import re
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("eval_fixtures", os.path.join(HERE, "make-eval-fixtures.py"))
base = importlib.util.module_from_spec(spec)
spec.loader.exec_module(base)

MAX_TOKENS = 12
QA_PROMPT = ("Q: What is human life expectancy in the United States?\n"
             "A: Human life expectancy in the United States is 78 years.\n\n"
             "Q: Who was president of the United States in 1955?\n"
             "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
             "Q: Which party did he belong to?\n"
             "A: He belonged to the Republican Party.\n\n"
             "Q: What is the square root of banana?\n"
             "A: I have no comment.\n\n"
             "Q: How does a telescope work?\n"
             "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
             "Q: Where were the 1992 Olympics held?\n"
             "A: The 1992 Olympics were held in Barcelona, Spain.")


def labelled_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    names = [n.strip().lower() for n in rows[0]]
    q, a, first = names.index("question"), names.index("answer"), names.index("a")
    out = []
    for r in rows[1:]:
        labels = [l for i, l in enumerate("ABCD") if r[first + i]]
        out.append(dict(question=r[q], labels=labels, choices=[r[first + i] for i in range(4) if r[first + i]],
                        answer=r[a].strip()))
    return out


def cmmlu_prompt(subject, q, shots):
    text = f"以下是关于{subject.replace('_', ' ')}的单项选择题，请直接给出正确答案的选项。\n\n"
    for s in shots:
        text += "题目：" + base.question_text(s, "答案是：") + f"{s['answer']}\n\n"
    return text + "题目：" + base.question_text(q, "答案是：")


def general_mcq_prompt(subject, q, shots):
    text = ""
    for s in shots:
        text += base.question_text(s, "Answer:") + f" {s['answer']}\n\n"
    return text + base.question_text(q, "Answer:")


def continuation_scores(model, tokenizer, context, continuations):
    context_ids = tokenizer.encode(context).ids
    scores = []
    for c in continuations:
        whole = tokenizer.encode(context + c).ids
        tail = whole[len(context_ids):]
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
        scores.append(sum(logp[len(context_ids) - 1 + t, tok].item() for t, tok in enumerate(tail)))
    return scores


def truthful_qa(model, tokenizer, fixtures):
    items = json.load(open(os.path.join(fixtures, "truthful_qa/mc_task.json"), encoding="utf-8"))
    answers = []
    for index, item in enumerate(items):
        context = QA_PROMPT + "\n\nQ: " + item["question"] + "\nA:"
        mc1 = list(item["mc1_targets"].items())
        mc2 = list(item["mc2_targets"].items())
        ll1 = continuation_scores(model, tokenizer, context, [" " + c for c, _ in mc1])
        ll2 = continuation_scores(model, tokenizer, context, [" " + c for c, _ in mc2])
        best = max(range(len(ll1)), key=lambda i: ll1[i])
        # lm-eval-harness's mc2: exp of the log-likelihoods, the true ones' share
        p = [math.exp(x) for x in ll2]
        mass = sum(pi for pi, (_, label) in zip(p, mc2) if label == 1) / sum(p)
        answers.append(dict(index=index, mc1=mc1[best][1] == 1, mc2=mass, mc1_log_likelihoods=ll1,
                            mc2_log_likelihoods=ll2))
    return dict(mc1=sum(a["mc1"] for a in answers) / len(answers), mc2=sum(a["mc2"] for a in answers) / len(answers),
                answers=answers)


def generate(model, tokenizer, prompt):
    ids = tokenizer.encode(prompt).ids
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             max_new_tokens=MAX_TOKENS, do_sample=False)
    return tokenizer.decode(out[0, len(ids):].tolist(), skip_special_tokens=True)


# IFEval's rules for the instructions the fixture uses (instructions.py of google-research's instruction_following_eval)
def relation(actual, n, rel):
    return actual < n if rel == "less than" else actual >= n


def follows(instruction, kw, value):
    if instruction == "punctuation:no_comma":
        return not re.search(r"\,", value)
    if instruction == "length_constraints:number_words":
        return relation(len(re.findall(r"\w+", value)), kw["num_words"], kw["relation"])
    if instruction == "keywords:existence":
        return all(re.search(k, value, flags=re.IGNORECASE) for k in kw["keywords"])
    if instruction == "keywords:frequency":
        return relation(len(re.findall(kw["keyword"], value, flags=re.IGNORECASE)), kw["frequency"], kw["relation"])
    if instruction == "detectable_format:number_bullet_lists":
        bullets = re.findall(r"^\s*\*[^\*].*$", value, flags=re.MULTILINE)
        dashes = re.findall(r"^\s*-.*$", value, flags=re.MULTILINE)
        return len(bullets) + len(dashes) == kw["num_bullets"]
    if instruction == "startend:end_checker":
        return value.strip().strip('"').lower().endswith(kw["end_phrase"].strip().lower())
    if instruction == "detectable_format:title":
        return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", value))
    if instruction == "combination:repeat_prompt":
        return value.strip().lower().startswith(kw["prompt_to_repeat"].strip().lower())
    raise ValueError(instruction)


def loose_readings(response):
    r = response.split("\n")
    first, last, both = "\n".join(r[1:]).strip(), "\n".join(r[:-1]).strip(), "\n".join(r[1:-1]).strip()
    return [response, response.replace("*", ""), first, last, both, first.replace("*", ""), last.replace("*", ""),
            both.replace("*", "")]


def ifeval(model, tokenizer, fixtures):
    rows = [json.loads(l) for l in open(os.path.join(fixtures, "ifeval/input_data.jsonl"), encoding="utf-8") if l.strip()]
    answers = []
    for index, row in enumerate(rows):
        completion = generate(model, tokenizer, row["prompt"])
        strict = [bool(completion.strip()) and follows(i, kw, completion)
                  for i, kw in zip(row["instruction_id_list"], row["kwargs"])]
        loose = [any(r.strip() and follows(i, kw, r) for r in loose_readings(completion))
                 for i, kw in zip(row["instruction_id_list"], row["kwargs"])]
        answers.append(dict(index=index, completion=completion, follow_instruction_list_strict=strict,
                            follow_instruction_list_loose=loose))
    metrics = {}
    for level in ["strict", "loose"]:
        lists = [a["follow_instruction_list_" + level] for a in answers]
        metrics[f"prompt_level_{level}_acc"] = sum(all(l) for l in lists) / len(lists)
        metrics[f"inst_level_{level}_acc"] = sum(sum(l) for l in lists) / sum(len(l) for l in lists)
    return dict(max_tokens=MAX_TOKENS, metrics=metrics, answers=answers)


def tokens(text):
    return re.findall(r"[\u4e00-\u9fff\u3040-\u30ff]|[^\W_]+|[^\s\w]|_", text.lower())


def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            cur[j] = prev[j - 1] + 1 if x == b[j - 1] else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def general_qa(model, tokenizer, fixtures):
    path = os.path.join(fixtures, "general_qa/tiny.jsonl")
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    answers = []
    for index, row in enumerate(rows):
        completion = generate(model, tokenizer, row["query"])
        if index == 1:
            row["response"] = completion.strip()
        cand, ref = tokens(completion), tokens(row["response"])
        common = lcs(cand, ref)
        r, p = common / len(ref), (common / len(cand) if cand else 0)
        unigrams = {}
        for t in ref:
            unigrams[t] = unigrams.get(t, 0) + 1
        clipped = 0
        for t in cand:
            if unigrams.get(t, 0) > 0:
                unigrams[t] -= 1
                clipped += 1
        brevity = 1 if len(cand) > len(ref) else math.exp(1 - len(ref) / len(cand))
        answers.append(dict(index=index, completion=completion,
                            exact_match=1.0 if completion.strip() == row["response"].strip() else 0.0,
                            rouge_l_f=0 if r + p == 0 else 2 * r * p / (r + p), bleu_1=brevity * clipped / len(cand)))
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    mean = lambda k: sum(a[k] for a in answers) / len(answers)
    return dict(max_tokens=MAX_TOKENS, exact_match=mean("exact_match"), rouge_l_f=mean("rouge_l_f"),
                bleu_1=mean("bleu_1"), answers=answers)


def main():
    root = sys.argv[1]
    fixtures = os.path.join(root, "distribution/itest/src/test/resources/eval")
    words = Tokenizer.from_file(os.path.join(fixtures, "word-model/tokenizer.json"))
    digits = Tokenizer.from_file(os.path.join(fixtures, "digit-model/tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(
        os.path.join(root, "plugins-models/qwen/src/test/resources/reference/qwen2"), dtype=torch.float32).eval()
    goldens = {}
    for name, folder, suffix, prompt, before in [("cmmlu", "cmmlu/test", ".csv", cmmlu_prompt, ""),
                                                 ("general_mcq", "general_mcq", "_val.csv", general_mcq_prompt, " ")]:
        tests = base.subjects(os.path.join(fixtures, folder), suffix, labelled_csv)
        dev_folder, dev_suffix = ("cmmlu/dev", ".csv") if name == "cmmlu" else ("general_mcq", "_dev.csv")
        dev = base.subjects(os.path.join(fixtures, dev_folder), dev_suffix, labelled_csv)
        answers = [a for s in tests for a in base.answer(model, words, s, tests[s], dev[s], prompt, before)]
        goldens[name] = dict(few_shot_num=base.FEW_SHOT, acc=sum(a["predicted"] == a["answer"] for a in answers)
                             / len(answers), answers=answers)
    goldens["truthful_qa"] = truthful_qa(model, words, fixtures)
    goldens["ifeval"] = ifeval(model, digits, fixtures)
    goldens["general_qa"] = general_qa(model, digits, fixtures)
    for name, golden in goldens.items():
        with open(os.path.join(fixtures, name + "-golden.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
