#!/usr/bin/env python3
"""Scores a tool-calling model on the held-out rows of demo/data/tools-heldout.jsonl (standard library only).

Starts `osprey deploy --agent_template hermes` on the model, then for each row asks the question with the tools
(greedy, tool_choice auto), checks that the answer is one call of the right function with exactly the row's
arguments, sends the row's tool result back as a `tool` message and checks the final answer word for word.

    python3 distribution/demo/check-tools-demo.py OSPREY_HOME MODEL_DIR
"""
import json, pathlib, socket, subprocess, sys, tempfile, time, urllib.request

home, model = pathlib.Path(sys.argv[1]), sys.argv[2]
rows = [json.loads(line) for line in open("distribution/src/main/dist/demo/data/tools-heldout.jsonl")]

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
base = f"http://127.0.0.1:{port}"
log_path = pathlib.Path(tempfile.gettempdir()) / "check-tools-demo.log"  # the server's output, if it does not start
log = open(log_path, "w")
server = subprocess.Popen([str(home / "bin" / "osprey"), "deploy", "--model", model, "--port", str(port),
                           "--agent_template", "hermes", "--served_model_name", "tiny-tools"],
                          stdout=log, stderr=subprocess.STDOUT)


def post(body):
    request = urllib.request.Request(base + "/v1/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as r:
        return json.load(r)["choices"][0]


try:
    for _ in range(600):
        if server.poll() is not None:
            sys.exit(f"osprey deploy ended: see {log_path}")
        try:
            urllib.request.urlopen(base + "/health", timeout=2)
            break
        except OSError:
            time.sleep(1)
    calls_right = answers_right = 0
    for row in rows:
        tools = json.loads(row["tools"])
        question, call, result, final = row["messages"]
        expected = json.loads(call["content"])
        asked = [{"role": "user", "content": question["content"]}]
        first = post({"model": "tiny-tools", "messages": asked, "tools": tools, "temperature": 0, "max_tokens": 64})
        got = first["message"].get("tool_calls") or []
        ok = (first["finish_reason"] == "tool_calls" and len(got) == 1
              and got[0]["function"]["name"] == expected["name"]
              and json.loads(got[0]["function"]["arguments"]) == expected["arguments"])
        calls_right += ok
        if not ok:
            said = [c["function"]["name"] + c["function"]["arguments"] for c in got] or first["message"]["content"]
            print("CALL  ", question["content"], "->", said)
            continue
        asked += [first["message"], {"role": "tool", "tool_call_id": got[0]["id"], "content": result["content"]}]
        second = post({"model": "tiny-tools", "messages": asked, "tools": tools, "temperature": 0, "max_tokens": 64})
        answered = second["finish_reason"] == "stop" and second["message"]["content"] == final["content"]
        answers_right += answered
        if not answered:
            print("ANSWER", question["content"], "->", second["message"]["content"], "| expected", final["content"])
    print(f"{calls_right}/{len(rows)} held-out calls right, {answers_right}/{len(rows)} answers right")
finally:
    server.terminate()
    server.wait(30)
