#!/usr/bin/env bash
# Replays the hot-deploy sequence against a running Osprey, step by step:
#   drop the example reward plugin -> it appears; replace it with version 2 -> v2 is active;
#   drop broken plugins -> each is listed with its reason and the rest keeps working; delete -> gone.
# Needs a built Osprey (mvn install -DskipTests). Runs in a scratch Osprey home that shares the built
# lib/osprey.jar, on a free loopback port, and stops the server at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/distribution/target/osprey"
[ -x "$dist/bin/osprey" ] || { echo "build Osprey first: mvn install -DskipTests" >&2; exit 1; }

home="$(mktemp -d "${TMPDIR:-/tmp}/osprey-demo.XXXXXX")"
mkdir -p "$home/bin" "$home/lib" "$home/plugins"
cp -r "$dist/conf" "$home/"
cp "$dist/bin/osprey" "$home/bin/"
ln -s "$dist/lib/osprey.jar" "$home/lib/osprey.jar"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 8765)"
osprey() { "$home/bin/osprey" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# waits until GET /api/plugins does (or, with !, does not) contain a text; prints how long it took
wait_for() {
  local start=$(date +%s%N) text="$1" negate="${2:-}"
  for _ in $(seq 1 200); do
    body="$(curl -s "http://127.0.0.1:$port/api/plugins" || true)"
    if { [ -z "$negate" ] && grep -q "$text" <<<"$body"; } || { [ -n "$negate" ] && ! grep -q "$text" <<<"$body"; }; then
      echo "   (seen after $(( ($(date +%s%N) - start) / 1000000 )) ms)"; return 0
    fi
    sleep 0.05
  done
  echo "timed out waiting for $text" >&2; return 1
}

step "build the example plugin, versions 1.0.0 and 2.0.0, against the API jar only"
mvn -q -f "$root/examples/reward-plugin/pom.xml" package -DskipTests
mvn -q -f "$root/examples/reward-plugin/pom.xml" package -DskipTests -Drevision=2.0.0
mvn -q -f "$root/examples/faulty-plugin/pom.xml" package -DskipTests
v1="$root/examples/reward-plugin/target/length-reward-1.0.0.jar"
v2="$root/examples/reward-plugin/target/length-reward-2.0.0.jar"

step "start the server: osprey serve --port $port"
osprey serve --port "$port" > "$home/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 1 300); do curl -s "http://127.0.0.1:$port/api/plugins" >/dev/null && break; sleep 0.1; done

step "drop version 1 into plugins/"
cp "$v1" "$home/plugins/length-reward.jar.part" && mv "$home/plugins/length-reward.jar.part" "$home/plugins/length-reward.jar"
wait_for custom_length
osprey plugins --server "http://127.0.0.1:$port"

step "replace it with version 2"
cp "$v2" "$home/plugins/length-reward.jar.part" && mv "$home/plugins/length-reward.jar.part" "$home/plugins/length-reward.jar"
wait_for '"version" : "2.0.0"'
osprey plugins --server "http://127.0.0.1:$port"

step "drop broken plugins: a component that throws, an import nothing exports, a bad manifest, a text file"
cp "$root/examples/faulty-plugin/target/faulty-reward-1.0.0.jar" "$home/plugins/"
(cd "$home" && jar cfm plugins/missing-import.jar "$root/examples/broken/missing-import.mf" \
   && jar cfm plugins/bad-manifest.jar "$root/examples/broken/bad-manifest.mf")
echo "not a plugin" > "$home/plugins/notes.txt"
wait_for com.nowhere.missing
sleep 1
osprey plugins --server "http://127.0.0.1:$port"

step "delete the reward plugin"
rm "$home/plugins/length-reward.jar"
wait_for custom_length !
osprey plugins --server "http://127.0.0.1:$port"

step "what the server printed as extensions came and went"
grep -E '^[+-] ' "$home/serve.log" || true
