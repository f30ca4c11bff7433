#!/usr/bin/env python3
"""SentencePiece tokenizers for the GGUF vocabulary tests: a BPE SentencePiece model of 128 pieces trained on a few
sentences, written as tokenizer.model and as the tokenizer.json transformers makes of it (LlamaConverter's layout:
the model's pieces as the BPE vocabulary, merges from every pair of pieces whose concatenation is a piece, ordered
by that piece's score), with Llama 2's normalizer (a "▁" prefix, spaces as "▁") or, without the prefix, Gemma's.

    python3 tools/make-spm-tokenizer.py OUT_DIR          (needs python3-sentencepiece and python3-tokenizers)

writes OUT_DIR/spm (Llama 2 style) and OUT_DIR/spm-gemma (no dummy prefix), each with tokenizer.model,
tokenizer.json and tokenizer_config.json.
"""
import io
import json
import os
import sys

import sentencepiece as spm
from tokenizers import Tokenizer, decoders, models, normalizers

TEXT = """The quick brown fox jumps over the lazy dog.
A tiny model reads the weather in Paris, Rome and Tokyo.
Osprey exports models to GGUF files that llama.cpp loads.
Hello world! How are you today? I am fine, thank you.
Numbers: 0 1 2 3 4 5 6 7 8 9, and symbols like - + = ( ) : ; ' " ?
""" * 20


def train(prefix):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TEXT.splitlines()), model_writer=model, model_type="bpe", vocab_size=128,
        character_coverage=1.0, byte_fallback=False, add_dummy_prefix=prefix, unk_id=0, bos_id=1, eos_id=2,
        pad_id=-1, normalization_rule_name="identity", remove_extra_whitespaces=False, split_digits=True,
        minloglevel=2)
    return model.getvalue()


def tokenizer_json(proto, prefix):
    sp = spm.SentencePieceProcessor(model_proto=proto)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    scores = {sp.id_to_piece(i): sp.get_score(i) for i in range(sp.get_piece_size())}
    merges = []
    for piece, score in scores.items():
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece))
                 if piece[:k] in vocab and piece[k:] in vocab]
        merges.extend(sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]])))
    merges = [(a, b) for a, b, _ in sorted(merges, key=lambda m: m[2], reverse=True)]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True))
    steps = [normalizers.Prepend("▁")] if prefix else []
    tok.normalizer = normalizers.Sequence(steps + [normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse()]
                                    + ([decoders.Strip(" ", 1, 0)] if prefix else []))
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    return tok


def main(out):
    for name, prefix in (("spm", True), ("spm-gemma", False)):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        proto = train(prefix)
        with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
            f.write(proto)
        tokenizer_json(proto, prefix).save(os.path.join(folder, "tokenizer.json"))
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump(dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>", add_bos_token=True,
                           add_eos_token=False, tokenizer_class="LlamaTokenizerFast"), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
