# Sourced by bench.sh and soak.sh: a kiosk and its review service as two processes, as they are deployed.
# pair_start DIR starts bin/huren-review on a free loopback port (data in DIR/review), registers kiosk K001 and
# writes DIR/kiosk.toml for bin/huren with the simulated devices (demo card reader and camera, PDF receipts).
# The kiosk process then holds only what a county kiosk holds. pair_stop ends the review service.
pair_start() {
  local dir=$1 port secret
  mkdir -p "$dir/review"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  secret=$(bin/huren-review kiosk add K001 --name "bench kiosk" --db "$dir/review/review.db" --data "$dir/review" | tail -1)
  printf '%s\n' "$secret" >"$dir/kiosk.secret"
  chmod 600 "$dir/kiosk.secret"
  cat >"$dir/kiosk.toml" <<TOML
kiosk_id = "K001"
kiosk_no = 1
server_url = "http://127.0.0.1:$port"
public_base_url = "http://127.0.0.1:$port"
secret_file = "$dir/kiosk.secret"
key_file = "$dir/kiosk.key"
data_dir = "$dir/kiosk"
fullscreen = false

[reader]
driver = "demo"

[camera]
driver = "demo"

[printer]
driver = "pdf"
pdf_dir = "$dir/receipts"
paper = "roll80"
TOML
  bin/huren provision -config "$dir/kiosk.toml" >/dev/null
  bin/huren-review serve --addr "127.0.0.1:$port" --db "$dir/review/review.db" --data "$dir/review" \
    --public-url "http://127.0.0.1:$port" --demo >"$dir/review.log" 2>&1 &
  PAIR_REVIEW_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "pair: the review service did not come up (see $dir/review.log)" >&2
  return 1
}
pair_stop() {
  [ -n "${PAIR_REVIEW_PID:-}" ] && kill "$PAIR_REVIEW_PID" 2>/dev/null && wait "$PAIR_REVIEW_PID" 2>/dev/null
  PAIR_REVIEW_PID=
  return 0
}
