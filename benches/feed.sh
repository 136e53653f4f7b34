#!/usr/bin/env bash
# Benchmark: calendar feed and web page requests per second and p99 latency, measured with wrk
# on 127.0.0.1 (-t2 -c64), for the 200 path (full body) and the 304 path (If-None-Match), against
# nginx serving the identical bytes as static files, in alternating rounds. The page is the
# public one (`/`, the example network with `public: true`): a kept page, as members' pages are
# between changes. Target: convene at least 1.0 × nginx for each. Not a test: it prints numbers. Installs wrk and nginx from Debian's packages if
# missing; stops what it starts.
#
# Run: benches/feed.sh [seconds per run, default 10] [rounds, default 3]
# CONVENE_BENCH_BIN=path measures another build of the bot instead of building one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-3}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/convene-target}"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
if [[ -n "${CONVENE_BENCH_BIN:-}" ]]; then
    convene=$CONVENE_BENCH_BIN
else
    cargo build --release --quiet
    convene="$CARGO_TARGET_DIR/release/convene"
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
feed_port=$(free_port)
nginx_port=$(free_port)

# The example configuration, with the feed on a free port and data in the work directory.
sed -e "s#data_dir: /var/lib/convene#data_dir: $work/data#" \
    -e "s#listen: 127.0.0.1:8080#listen: 127.0.0.1:$feed_port#" \
    -e "s#agendas_dir: ../agendas#agendas_dir: $PWD/agendas#" \
    -e "s#^  public: false#  public: true#" \
    config/convene.example.yaml > "$work/convene.yaml"
mkdir -p "$work/www" "$work/nginx"
"$convene" ics --config "$work/convene.yaml" > "$work/www/calendar.ics"
# nginx's workers run as an unprivileged user: let them read the file.
chmod 755 "$work" "$work/www"
chmod 644 "$work/www/calendar.ics"

RUST_LOG=warn "$convene" feed --config "$work/convene.yaml" &
pids+=($!)
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { text/calendar ics; text/html html; }
    charset utf-8;
    charset_types text/calendar;  # text/html is in the default list
    etag on;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
NGINX
nginx -c "$work/nginx/nginx.conf" &
pids+=($!)

for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$feed_port/healthz" >/dev/null && curl -fs "http://127.0.0.1:$nginx_port/calendar.ics" >/dev/null && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$feed_port/calendar.ics" > "$work/www/calendar.ics"  # the feed's own bytes, served by nginx as a static file
curl -fs "http://127.0.0.1:$feed_port/" > "$work/www/page.html"  # the page's own bytes
chmod 644 "$work/www/calendar.ics" "$work/www/page.html"
etag() { curl -fsI "$1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'; }

run() { # name url [etag]
    local out
    if [[ -n "${3:-}" ]]; then
        out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency -H "If-None-Match: $3" "$2")
    else
        out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "$2")
    fi
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '%-28s %12s req/s   p99 %s\n' "$1" "$rps" "$p99"
    echo "$rps" >> "$work/$1.rps"
}

echo "calendar: $(wc -c < "$work/www/calendar.ics") bytes, page: $(wc -c < "$work/www/page.html") bytes; wrk -t2 -c64 -d${SECONDS_PER_RUN}s on 127.0.0.1, $ROUNDS alternating rounds"
for what in calendar page; do
    case $what in
        calendar) convene_url="http://127.0.0.1:$feed_port/calendar.ics"; nginx_url="http://127.0.0.1:$nginx_port/calendar.ics" ;;
        page) convene_url="http://127.0.0.1:$feed_port/"; nginx_url="http://127.0.0.1:$nginx_port/page.html" ;;
    esac
    convene_etag=$(etag "$convene_url")
    nginx_etag=$(etag "$nginx_url")
    for round in $(seq "$ROUNDS"); do
        echo "$what, round $round"
        run "$what-convene-200" "$convene_url"
        run "$what-nginx-200" "$nginx_url"
        run "$what-convene-304" "$convene_url" "$convene_etag"
        run "$what-nginx-304" "$nginx_url" "$nginx_etag"
    done
done
mean() { awk '{ s += $1 } END { printf "%.0f", s / NR }' "$1"; }
for what in calendar page; do
    for path in 200 304; do
        awk -v a="$(mean "$work/$what-convene-$path.rps")" -v b="$(mean "$work/$what-nginx-$path.rps")" -v p="$what $path" \
            'BEGIN { printf "%s path: convene %.0f / nginx %.0f req/s (means) = %.2f (target >= 1.00)\n", p, a, b, a / b }'
    done
done
