#!/bin/sh
# A throwaway nginx in front of dieuhanh nodes, for tests and benchmarks
# (Debian's nginx package), configured with the sample docs/nginx/dieuhanh.conf.
#
#   eval "$(scripts/nginx-test.sh start PORT HOST:PORT [HOST:PORT...])"
#       Writes a configuration into a new temporary folder: the sample with
#       its `# node` lines replaced by one line per node given (the first
#       one's options, the node's HOST:PORT), and its `# listen` line by
#       `listen 127.0.0.1:PORT;`, inside a minimal nginx.conf (pid, logs and
#       temporary files in the folder).
#       Starts nginx and prints DH_NGINX_DIR and DH_NGINX_URL as `export`
#       lines. Stop it with
#   scripts/nginx-test.sh stop "$DH_NGINX_DIR"
#       which stops that nginx (and waits for it) and removes the folder.
#
# As root, the workers run as root too (they read and write only the
# folder); otherwise nginx runs as the caller. Nothing is installed or left
# running: the system's nginx service is not involved.
set -eu

NGINX=${NGINX:-/usr/sbin/nginx}
here=$(cd "$(dirname "$0")/.." && pwd)
SAMPLE=${DH_NGINX_SAMPLE:-$here/docs/nginx/dieuhanh.conf}

usage() {
  sed -n '2,14p' "$0" >&2
  exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start)
    [ $# -ge 2 ] || usage
    [ -x "$NGINX" ] || { echo "nginx-test: no $NGINX (install the nginx package: scripts/deps.sh)" >&2; exit 1; }
    port=$1; shift
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dh-nginx.XXXXXX")
    chmod 700 "$dir"
    # the sample with its first `# node` line repeated for each node given
    # (its options kept, its address replaced), the other ones dropped,
    # and its `# listen` line on the port given
    awk -v nodes="$*" -v listen="    listen 127.0.0.1:$port;" '
      /# node$/ {
        if (!done) {
          n = split(nodes, addr, " ")
          for (i = 1; i <= n; i++) {
            line = $0
            sub(/server [^ ;]+/, "server " addr[i], line)
            sub(/ *# node$/, "", line)
            print line
          }
          done = 1
        }
        next
      }
      /# listen$/ { print listen; next }
      { print }' "$SAMPLE" > "$dir/dieuhanh.conf"
    user=""
    [ "$(id -u)" = 0 ] && user="user root root;"
    cat > "$dir/nginx.conf" <<CONF
$user
daemon on;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/dieuhanh.conf;
}
CONF
    if ! "$NGINX" -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/start.log"; then
      echo "nginx-test: nginx did not start:" >&2
      cat "$dir/start.log" "$dir/error.log" >&2 2>/dev/null || true
      rm -rf "$dir"
      exit 1
    fi
    printf 'export DH_NGINX_DIR=%s\n' "$dir"
    printf 'export DH_NGINX_URL=http://127.0.0.1:%s\n' "$port"
    ;;
  stop)
    [ $# -eq 1 ] && [ -f "$1/nginx.conf" ] || { echo "nginx-test: stop DIR: not an nginx-test folder" >&2; exit 2; }
    dir=$1
    if [ -f "$dir/nginx.pid" ]; then
      pid=$(cat "$dir/nginx.pid")
      kill -QUIT "$pid" 2>/dev/null || true
      i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
