#!/usr/bin/env python3
"""Writes the tool-calling demo's byte-level BPE tokenizer and its agent dataset (standard library only).

The word-level tokenizer of demo/tiny-chat cannot spell JSON, so a model that calls tools needs bytes:
this writes a byte-level BPE tokenizer.json shaped as Qwen2.5's (its pre-tokenizer regex, ByteLevel decoder,
ChatML and tool specials), with 256 byte tokens and merges learnt here from the dataset, and the training rows
in ms-swift's agent format: a `tools` column (OpenAI function schemas as a JSON string) and `messages` with
`tool_call` and `tool_response` rows, then the answer that uses the result. Two tools, get_weather(city) and
add(a, b); the weather is asked for a closed set of 24 real cities, each many times (the model recalls them),
while the number pairs of tools-heldout.jsonl never occur in training (the model copies digits). Plain chat
rows (some with the tools offered, some without) teach it when not to call. Run from the repository root; the
model is made by `osprey create-model` and `osprey sft` (see distribution/demo/README.md).
"""
import collections, json, pathlib, random, re

demo = pathlib.Path("distribution/src/main/dist/demo")
model_dir = demo / "tiny-tools"
rng = random.Random(15)

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "the city"}},
                   "required": ["city"]}}}
ADD = {"type": "function", "function": {
    "name": "add", "description": "Add two numbers",
    "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                   "required": ["a", "b"]}}}
TOOLS = [WEATHER, ADD]

# A closed set of real cities, each asked about many times: a model this small recalls a city it was trained on
# (each is one token, the same in the question and in the call's JSON), but does not learn to copy a name it never
# saw (see the README: made-up names came back wrong, and hundreds of them diluted the recall of trained ones).
cities = ["Paris", "Rome", "Madrid", "Berlin", "Tokyo", "Cairo", "Lima", "Oslo", "Athens", "Dublin", "London",
          "Vienna", "Prague", "Lisbon", "Seoul", "Delhi", "Sydney", "Boston", "Miami", "Austin", "Munich", "Milan",
          "Zurich", "Riga"]
conditions = ["sunny", "cloudy", "rainy", "windy", "snowy", "foggy", "clear", "stormy"]

weather_asks = ["What is the weather in {c}?", "How is the weather in {c} today?", "weather in {c}",
                "Is it warm in {c}?", "Tell me the weather in {c}.", "What's the weather like in {c}?"]
add_asks = ["What is {a} plus {b}?", "Add {a} and {b}.", "What is the sum of {a} and {b}?", "{a} + {b} = ?",
            "Please add {a} and {b}."]
chats = [("hi", "Hello! How can I help you?"), ("Hello!", "Hello! How can I help you?"),
         ("Thanks!", "You are welcome!"), ("thank you", "You are welcome!"),
         ("Who are you?", "I am a tiny assistant that can call tools."),
         ("What can you do?", "I can look up the weather and add numbers."),
         ("Good morning", "Good morning! How can I help you?"), ("bye", "Goodbye!")]


def weather_row(city, ask, rng):
    temp, cond = rng.randint(-10, 35), rng.choice(conditions)
    return {"tools": json.dumps(TOOLS), "messages": [
        {"role": "user", "content": ask.format(c=city)},
        {"role": "tool_call", "content": json.dumps({"name": "get_weather", "arguments": {"city": city}})},
        {"role": "tool_response", "content": json.dumps({"temperature": temp, "condition": cond})},
        {"role": "assistant", "content": f"It is {cond} and {temp} degrees in {city}."}]}


def add_row(a, b, ask):
    return {"tools": json.dumps(TOOLS), "messages": [
        {"role": "user", "content": ask.format(a=a, b=b)},
        {"role": "tool_call", "content": json.dumps({"name": "add", "arguments": {"a": a, "b": b}})},
        {"role": "tool_response", "content": json.dumps({"result": a + b})},
        {"role": "assistant", "content": f"{a} plus {b} is {a + b}."}]}


def chat_row(q, a, with_tools):
    row = {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
    if with_tools:
        row = {"tools": json.dumps(TOOLS), **row}
    return row


pairs = [(a, b) for a in range(100) for b in range(100)]
rng.shuffle(pairs)
held_out_pairs, train_pairs = pairs[:20], pairs[20:]  # sums: number pairs it never sees, so digits are copied

train = []
for _ in range(25):
    for city in cities:
        train.append(weather_row(city, rng.choice(weather_asks), rng))
for a, b in train_pairs[:600]:
    train.append(add_row(a, b, rng.choice(add_asks)))
for q, a in chats:
    for _ in range(10):
        train.append(chat_row(q, a, True))
        train.append(chat_row(q, a, False))
# without tools a weather question gets words, never a call (what tool_choice "none" leaves the model with)
for _ in range(3):
    for city in cities:
        train.append(chat_row(rng.choice(weather_asks).format(c=city), "I cannot look up the weather without a tool.",
                              False))
rng.shuffle(train)

# held out: weather for trained cities with new results (the answer must repeat the tool's result), sums of pairs
# that never occur in training
held_out = [weather_row(cities[(7 * i) % len(cities)], weather_asks[i % len(weather_asks)], rng) for i in range(20)]
held_out += [add_row(a, b, add_asks[i % len(add_asks)]) for i, (a, b) in enumerate(held_out_pairs)]

(demo / "data").mkdir(parents=True, exist_ok=True)
for name, rows in (("tools.jsonl", train), ("tools-heldout.jsonl", held_out)):
    with open(demo / "data" / name, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


# ---- the tokenizer: byte-level BPE as GPT-2 and Qwen2 write it

def bytes_to_unicode():
    """GPT-2's map of the 256 bytes to printable characters (the ByteLevel pre-tokenizer's alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# Qwen2's split regex; the ASCII-only form below splits this ASCII data exactly as the \p{L}/\p{N} one does
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")
ascii_split = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*"
                         r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
            "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
            "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]
MERGES = 490  # at most: it stops once every word is one token (here 372: 256 + 372 + 22 specials = 650 ids)
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."


def rendered(row):
    """The row about as the hermes agent template on Qwen2.5's chat template writes it (for the merges only)."""
    parts = []
    if "tools" in row:
        lines = "\n".join(json.dumps(t) for t in json.loads(row["tools"]))
        parts.append("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are"
                     " provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + lines
                     + "\n</tools>\n\nFor each function call, return a json object with function name and"
                       " arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\":"
                       " <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
    else:
        parts.append(DEFAULT_SYSTEM)
    for m in row["messages"]:
        if m["role"] == "tool_call":
            call = json.loads(m["content"])
            parts.append("<tool_call>\n" + json.dumps(call) + "\n</tool_call>")
        elif m["role"] == "tool_response":
            parts.append("<tool_response>\n" + m["content"] + "\n</tool_response>")
        else:
            parts.append(m["role"] + "\n" + m["content"])
    return "\n".join(parts)


byte_char = bytes_to_unicode()
special_split = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")
words = collections.Counter()
for row in train:
    for piece in special_split.split(rendered(row)):
        if piece and piece not in SPECIALS:
            for chunk in ascii_split.findall(piece):
                words[tuple(byte_char[b] for b in chunk.encode("utf-8"))] += 1

# No merge joins a word to the space or quote before it (as "ĠBristol" or "\"Bristol" would): a city's tokens are
# then the same in the question (` Bristol`) and in the call's JSON (`"Bristol"`), so copying a name is copying
# tokens, which a two-layer model learns; with Qwen2.5's own merges it would also have to map one spelling to the other.
word_chars = {byte_char[b] for b in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}


def joins_prefix(left, right):
    return len(left) == 1 and left not in word_chars and right[0] in word_chars


vocab = {byte_char[b]: b for b in range(256)}
merges = []
for _ in range(MERGES):
    counts = collections.Counter()
    for word, n in words.items():
        for pair in zip(word, word[1:]):
            if not joins_prefix(*pair):
                counts[pair] += n
    if not counts:
        break
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]  # most frequent; ties by the pair, for repeatability
    merges.append(best[0] + " " + best[1])
    vocab[best[0] + best[1]] = len(vocab)
    merged = {}
    for word, n in words.items():
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        merged[tuple(out)] = merged.get(tuple(out), 0) + n
    words = merged


def added(i, content):
    # as in Qwen2.5: <tool_call> and </tool_call> are added tokens that are not special, so a decoded
    # completion keeps them and the server can find the call
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": content not in ("<tool_call>", "</tool_call>")}


tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [added(len(vocab) + k, s) for k, s in enumerate(SPECIALS)],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": merges}}
model_dir.mkdir(parents=True, exist_ok=True)
(model_dir / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
print(len(train), "training rows,", len(held_out), "held out;", len(vocab), "BPE tokens +", len(SPECIALS),
      "specials =", len(vocab) + len(SPECIALS), "ids")

# Qwen2.5-Instruct's own chat template (the copy the chat bundle's tests check the hermes agent template against)
template = pathlib.Path("bundles/chat/src/test/resources/chat/templates/qwen2_5.jinja").read_text()
template = template[template.index("#}") + 2:].lstrip("\n")  # without the provenance comment
(model_dir / "tokenizer_config.json").write_text(json.dumps({
    "chat_template": template, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None,
    "add_bos_token": False, "model_max_length": 32768}, indent=2) + "\n")
