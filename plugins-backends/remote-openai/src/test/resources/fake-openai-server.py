#!/usr/bin/env python3
# Stands in for `vllm serve MODEL --port P ...` in the child-process tests: answers /health and
# /v1/models on --port after a short start-up delay, and records its command line in $FAKE_ARGS_FILE.
import http.server, json, os, sys, time

args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
name = args[args.index("--served-model-name") + 1] if "--served-model-name" in args else args[1]
if os.environ.get("FAKE_ARGS_FILE"):
    with open(os.environ["FAKE_ARGS_FILE"], "w") as f:
        f.write(json.dumps(args))
if os.environ.get("FAKE_FAIL"):
    print("fake server: cannot load the model", flush=True)
    sys.exit(3)
time.sleep(1.0)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b""
        elif self.path == "/v1/models":
            body = json.dumps({"object": "list", "data": [{"id": name, "object": "model", "parent": None, "max_model_len": 128}]}).encode()
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
