#!/usr/bin/env bash
# Download benchmark (issue 2 §6): a 1 GiB checkpoint artifact fetched with curl through the server's signed
# download URL, against nginx serving the very same file on loopback in the same run. Reports median throughput
# of each, their ratio, and the server's memory growth (peak RSS during the timed downloads minus RSS before).
# Targets: server/nginx >= 0.9 and growth <= 32 MiB.
#
# Usage: bench/download/run.sh            (env: RUNS=5 SIZE_MIB=1024 STRICT=0 KEEP=0 EXTRA_SERVER_ARGS=)
# Everything lives in a temp directory removed on exit; servers listen on 127.0.0.1 only; each step is bounded.
# STRICT=1 makes a missed target exit 3. The report goes to stdout and bench/results/download-<UTC time>.txt.
set -euo pipefail

RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
STRICT=${STRICT:-0}
KEEP=${KEEP:-0}
CURL_MAX_SECONDS=${CURL_MAX_SECONDS:-300}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tinker-bench-download.XXXXXX")
# nginx workers drop to "nobody" when started as root; they must be able to reach the artifact.
chmod 755 "$WORK"
SERVER_PID="" NGINX_PID="" SAMPLER_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "$SAMPLER_PID" "$SERVER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true   # graceful: the master stops its workers
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls URL until it answers 200, for at most $2 seconds, while process $3 is alive.
wait_ready() {
  local url=$1 seconds=$2 pid=$3 deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

vm_field() { # vm_field PID VmRSS -> kB
  local key value _
  while read -r key value _; do
    [ "$key" = "$2:" ] && { echo "$value"; return 0; }
  done <"/proc/$1/status"
  return 1
}

# --- prerequisites ----------------------------------------------------------------------------------------
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required (free port lookup)"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  log "installing nginx (Debian package)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Debian's maintainer script may try to start the system service; that instance is not the one measured.
  timeout 600 $SUDO apt-get install -y nginx >"$WORK/apt.log" 2>&1 \
    || { timeout 300 $SUDO apt-get update >>"$WORK/apt.log" 2>&1 && timeout 600 $SUDO apt-get install -y nginx >>"$WORK/apt.log" 2>&1; } \
    || die "apt-get install nginx failed (see $WORK/apt.log)"
fi
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

# --- build ------------------------------------------------------------------------------------------------
log "building server and seeder (Release)"
timeout 900 dotnet build "$ROOT/src/Api/TinkerServer.Api.csproj" -c Release -nologo -v q >"$WORK/build-server.log" 2>&1 \
  || { tail -30 "$WORK/build-server.log" >&2; die "server build failed"; }
timeout 900 dotnet build "$ROOT/bench/DownloadBench/Seeder/TinkerServer.Bench.DownloadSeeder.csproj" -c Release -nologo -v q \
  >"$WORK/build-seeder.log" 2>&1 || { tail -30 "$WORK/build-seeder.log" >&2; die "seeder build failed"; }
SERVER_DIR="$ROOT/src/Api/bin/Release/net10.0"
SEEDER_DLL="$ROOT/bench/DownloadBench/Seeder/bin/Release/net10.0/TinkerServer.Bench.DownloadSeeder.dll"

# --- seed -------------------------------------------------------------------------------------------------
DATA="$WORK/data"
log "seeding a ${SIZE_MIB} MiB checkpoint into $DATA"
read -r RUN_ID KIND NAME LENGTH < <(timeout 600 dotnet "$SEEDER_DLL" --data-dir "$DATA" --size-mib "$SIZE_MIB" 2>"$WORK/seeder.err") \
  || { cat "$WORK/seeder.err" >&2; die "seeding failed"; }
# The artifact is a file somewhere under the checkpoint root (the layout is the storage's business; find it).
ARTIFACT=$(find "$DATA/checkpoints" -type f -name "$NAME.tar.gz" -path "*$RUN_ID*" -print -quit)
[ -n "$ARTIFACT" ] && [ "$(stat -c %s "$ARTIFACT")" = "$LENGTH" ] || die "seeded artifact not found under $DATA/checkpoints"
chmod -R o+rX "$DATA/checkpoints"
EXPECTED_SHA=$(sha256sum "$ARTIFACT" | cut -d' ' -f1)   # also pulls the file into the page cache for both servers

# --- server -----------------------------------------------------------------------------------------------
SERVER_PORT=$(free_port)
log "starting the server on 127.0.0.1:$SERVER_PORT"
# cwd = the build output so appsettings.json is the content root's; `dotnet x.dll` runs in this very process.
(
  cd "$SERVER_DIR"
  ASPNETCORE_ENVIRONMENT=Production exec dotnet TinkerServer.Api.dll \
    --urls "http://127.0.0.1:$SERVER_PORT" --TinkerServer:DataDirectory="$DATA" --Logging:LogLevel:Default=Warning ${EXTRA_SERVER_ARGS:-}
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_ready "http://127.0.0.1:$SERVER_PORT/api/v1/healthz" 60 "$SERVER_PID" \
  || { tail -30 "$WORK/server.log" >&2; die "server did not become healthy"; }

ARCHIVE_URL="http://127.0.0.1:$SERVER_PORT/api/v1/training_runs/$RUN_ID/checkpoints/$KIND/$NAME/archive"
SIGNED_URL=$(curl -s -o /dev/null -m 10 -w '%{redirect_url}' "$ARCHIVE_URL")
case "$SIGNED_URL" in
  "http://127.0.0.1:$SERVER_PORT/"*download\?expires=*sig=*) ;;
  *) die "archive endpoint did not redirect to a signed download URL (got '$SIGNED_URL')" ;;
esac

# --- nginx ------------------------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
NGINX_DIR="$WORK/nginx"
mkdir -p "$NGINX_DIR/tmp"
# Debian's stock http settings (sendfile, tcp_nopush, worker_processes auto), everything else private to $WORK.
cat >"$NGINX_DIR/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 64; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  types { application/gzip gz; }
  default_type application/octet-stream;
  access_log $NGINX_DIR/access.log;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $(dirname "$ARTIFACT");
    location / { }
  }
}
EOF
log "starting nginx on 127.0.0.1:$NGINX_PORT"
"$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" >"$NGINX_DIR/stdout.log" 2>&1 &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT/$(basename "$ARTIFACT")"
wait_ready "$NGINX_URL" 30 "$NGINX_PID" || { cat "$NGINX_DIR/error.log" >&2 || true; die "nginx did not start"; }

# --- downloads --------------------------------------------------------------------------------------------
# fetch URL -> "bytes seconds", failing on a non-200 or a short body.
fetch() {
  local out code size time
  out=$(curl -s -o /dev/null -m "$CURL_MAX_SECONDS" -w '%{http_code} %{size_download} %{time_total}' "$1") || die "curl failed for $1"
  read -r code size time <<<"$out"
  [ "$code" = 200 ] && [ "$size" = "$LENGTH" ] || die "bad download from $1: HTTP $code, $size of $LENGTH bytes"
  echo "$size $time"
}
mib_per_s() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]) / 1048576:.1f}')" "$1" "$2"; }

log "verifying the server's bytes (sha256)"
GOT_SHA=$(curl -s -m "$CURL_MAX_SECONDS" "$SIGNED_URL" | sha256sum | cut -d' ' -f1)
[ "$GOT_SHA" = "$EXPECTED_SHA" ] || die "server delivered different bytes (sha256 $GOT_SHA, file $EXPECTED_SHA)"

log "warm-up"
fetch "$SIGNED_URL" >/dev/null
fetch "$NGINX_URL" >/dev/null

# Memory baseline after warm-up; reset the kernel's high-water mark (VmHWM) so it covers only the timed part.
RSS_BEFORE=$(vm_field "$SERVER_PID" VmRSS)
HWM_RESET=no
if echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null; then HWM_RESET=yes; fi

# Samples VmRSS every ~50 ms until the stop file appears, then writes the peak (kB).
(
  peak=0
  while [ ! -e "$WORK/sampler.stop" ]; do
    rss=$(vm_field "$SERVER_PID" VmRSS) || break
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.05
  done
  echo "$peak" >"$WORK/sampler.peak"
) &
SAMPLER_PID=$!

SERVER_RATES=() NGINX_RATES=() DETAIL=""
for i in $(seq 1 "$RUNS"); do
  # Alternate which goes first so neither always follows the other.
  if [ $((i % 2)) = 1 ]; then order="server nginx"; else order="nginx server"; fi
  for who in $order; do
    if [ "$who" = server ]; then url=$SIGNED_URL; else url=$NGINX_URL; fi
    read -r size time < <(fetch "$url")
    rate=$(mib_per_s "$size" "$time")
    if [ "$who" = server ]; then SERVER_RATES+=("$rate"); else NGINX_RATES+=("$rate"); fi
    DETAIL+=$(printf '  run %d %-6s %s bytes in %ss = %s MiB/s' "$i" "$who" "$size" "$time" "$rate")$'\n'
    log "run $i $who: $rate MiB/s"
  done
done

touch "$WORK/sampler.stop"
wait "$SAMPLER_PID" || true
SAMPLER_PID=""
PEAK_SAMPLED=$(cat "$WORK/sampler.peak")
RSS_AFTER=$(vm_field "$SERVER_PID" VmRSS)
HWM=$(vm_field "$SERVER_PID" VmHWM)
# The kernel's own high-water mark catches spikes between samples (when the reset worked).
if [ "$HWM_RESET" = yes ] && [ "$HWM" -gt "$PEAK_SAMPLED" ]; then PEAK=$HWM; else PEAK=$PEAK_SAMPLED; fi

# --- report -----------------------------------------------------------------------------------------------
REPORT=$(python3 - "$RSS_BEFORE" "$PEAK" "$PEAK_SAMPLED" "$HWM" "$HWM_RESET" "$RSS_AFTER" "${SERVER_RATES[*]}" "${NGINX_RATES[*]}" <<'PY'
import statistics, sys
before, peak, sampled, hwm = (int(v) for v in sys.argv[1:5])
hwm_reset, after = sys.argv[5], int(sys.argv[6])
server = [float(v) for v in sys.argv[7].split()]
nginx = [float(v) for v in sys.argv[8].split()]
ms, mn = statistics.median(server), statistics.median(nginx)
growth = (peak - before) / 1024
ratio = ms / mn
print(f"server median    {ms:8.1f} MiB/s  (runs: {', '.join(f'{v:.1f}' for v in server)})")
print(f"nginx median     {mn:8.1f} MiB/s  (runs: {', '.join(f'{v:.1f}' for v in nginx)})")
print(f"ratio server/nginx {ratio:.3f}   target >= 0.9: {'PASS' if ratio >= 0.9 else 'FAIL'}")
print(f"server RSS before {before / 1024:.1f} MiB, peak during {peak / 1024:.1f} MiB "
      f"(sampled {sampled / 1024:.1f}, VmHWM {hwm / 1024:.1f}{'' if hwm_reset == 'yes' else ' since start'}), after {after / 1024:.1f} MiB")
print(f"memory growth    {growth:8.1f} MiB   target <= 32: {'PASS' if growth <= 32 else 'FAIL'}")
PY
)

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
RESULTS_DIR="$ROOT/bench/results"
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$RESULTS_DIR/download-$STAMP.txt"
{
  echo "TinkerServer download benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "machine: $(nproc) CPUs ($CPU), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, kernel $(uname -r)"
  echo "dotnet $(dotnet --version), $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'), $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "artifact $LENGTH bytes (page-cached), $RUNS timed downloads each, alternating, after one warm-up each; sha256 verified"
  echo "$DETAIL"
  echo "$REPORT"
} | tee "$OUT"
log "report written to $OUT"

if [ "$STRICT" = 1 ] && grep -q FAIL <<<"$REPORT"; then exit 3; fi
