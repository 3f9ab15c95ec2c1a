# Shared by scripts/test, scripts/demo and scripts/benchmark: work with one or more Frappe benches.
# Sourced, not run. Expects REPO to be set.
#
# A bench entry is either a directory (`/home/me/frappe-bench`), or `ROOT:DIR` for a bench at DIR
# inside a chroot at ROOT (`/path/to/sid-root:/home/frappe/frappe-bench`), for a Frappe that needs a newer
# userland than the host's (Frappe 16 needs Python 3.14). Entries come from
# INVOICE_SHARE_BENCHES (several, separated by spaces), else INVOICE_SHARE_BENCH (one), else the
# lines of ${XDG_CONFIG_HOME:-~/.config}/invoice-share/benches, else ~/frappe-bench if present.

DB_ROOT_PASSWORD="${INVOICE_SHARE_DB_ROOT_PASSWORD:-}"
ADMIN_PASSWORD="${INVOICE_SHARE_ADMIN_PASSWORD:-admin}"
SERVER_PIDS=()

say() { printf '\n==> %s\n' "$*"; }

bench_entries() {
	local file="${XDG_CONFIG_HOME:-${HOME:-/nonexistent}/.config}/invoice-share/benches"
	if [ -n "${INVOICE_SHARE_BENCHES:-}" ]; then
		printf '%s\n' $INVOICE_SHARE_BENCHES
	elif [ -n "${INVOICE_SHARE_BENCH:-}" ]; then
		printf '%s\n' "$INVOICE_SHARE_BENCH"
	elif [ -f "$file" ]; then
		sed -e 's/#.*//' -e 's/[[:space:]]//g' "$file" | grep -v '^$' || true
	elif [ -d "${HOME:-/nonexistent}/frappe-bench/apps/frappe" ]; then
		printf '%s\n' "$HOME/frappe-bench"
	fi
}

# use_bench ENTRY: make ENTRY the bench the functions below work on.
# BENCH is the bench's path as its own Python sees it; BENCH_DIR the same directory seen from here.
use_bench() {
	case "$1" in
	*:*) BENCH_ROOT="${1%%:*}" BENCH="${1#*:}" ;;
	*) BENCH_ROOT="" BENCH="$1" ;;
	esac
	BENCH_DIR="$BENCH_ROOT$BENCH"
	[ -n "$BENCH_ROOT" ] && mount_chroot
	return 0
}

bench_exists() {
	[ -n "${BENCH:-}" ] && [ -L "$BENCH_DIR/env/bin/python" -o -x "$BENCH_DIR/env/bin/python" ] && [ -d "$BENCH_DIR/apps/frappe" ] &&
		[ -d "$BENCH_DIR/apps/erpnext" ]
}

# The kernel file systems a chroot needs for Python, MariaDB clients and Chromium's PDFs.
mount_chroot() {
	local dir
	for dir in proc sys dev dev/pts dev/shm; do
		mountpoint -q "$BENCH_ROOT/$dir" && continue
		mkdir -p "$BENCH_ROOT/$dir"
		case "$dir" in
		proc) mount -t proc proc "$BENCH_ROOT/proc" ;;
		*) mount --bind "/$dir" "$BENCH_ROOT/$dir" ;;
		esac
	done
	cp -L /etc/resolv.conf "$BENCH_ROOT/etc/resolv.conf" 2>/dev/null || true
}

# in_bench CMD…: run CMD in the bench directory, inside its chroot when it has one.
in_bench() {
	if [ -z "$BENCH_ROOT" ]; then
		(cd "$BENCH_DIR" && "$@")
	else
		chroot "$BENCH_ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
			PATH="$BENCH/env/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin" \
			CI="${CI:-}" INVOICE_SHARE_TEST_URL="${INVOICE_SHARE_TEST_URL:-}" \
			/bin/bash -c 'cd "$0" && exec "$@"' "$BENCH" "$@"
	fi
}

# bench_cmd ARGS…: a Frappe command (what `bench ARGS…` runs), through the bench's own Python.
bench_cmd() {
	in_bench bash -c 'cd sites && exec "$0/env/bin/python" -m frappe.utils.bench_helper frappe "$@"' "$BENCH" "$@"
}

# "15.75.0 / ERPNext 15.71.1" for the bench in use.
bench_versions() {
	in_bench env/bin/python -c 'import frappe, erpnext; print(f"Frappe {frappe.__version__} / ERPNext {erpnext.__version__}")'
}

bench_major() {
	in_bench env/bin/python -c 'import frappe; print(frappe.__version__.split(".")[0])'
}

# Put this working tree into the bench as apps/invoice_share and install it into the bench's env.
install_app_into_bench() {
	local target="$BENCH_DIR/apps/invoice_share"
	if [ -e "$target" ] && [ "$(realpath "$target")" = "$(realpath "$REPO")" ]; then
		say "apps/invoice_share is this checkout"
	else
		say "Copying this checkout into $target"
		[ -L "$target" ] && rm "$target"
		mkdir -p "$target"
		rsync -a --delete --exclude '.git/' --exclude '.venv*/' --exclude '__pycache__/' \
			--exclude '.pytest_cache/' --exclude '.ruff_cache/' --exclude 'browser_tests/screenshots/' \
			"$REPO/" "$target/"
	fi
	in_bench env/bin/python -m pip install --quiet -e apps/invoice_share
	grep -qx invoice_share "$BENCH_DIR/sites/apps.txt" || printf '\ninvoice_share\n' >>"$BENCH_DIR/sites/apps.txt"
	sed -i '/^$/d' "$BENCH_DIR/sites/apps.txt"
}

site_exists() { [ -f "$BENCH_DIR/sites/$1/site_config.json" ]; }

site_has_app() { bench_cmd --site "$1" list-apps 2>/dev/null | grep -q "^$2"; }

# A site with ERPNext and invoice_share installed; migrated when it already existed.
ensure_site() {
	local site="$1"
	if ! site_exists "$site"; then
		say "Creating site $site with ERPNext (takes a few minutes)"
		# Frappe asks for an empty root password on the terminal; answer it on stdin.
		local password_args=()
		[ -n "$DB_ROOT_PASSWORD" ] && password_args=(--db-root-password "$DB_ROOT_PASSWORD")
		printf '%s\n' "$DB_ROOT_PASSWORD" | bench_cmd new-site "$site" --admin-password "$ADMIN_PASSWORD" \
			--db-root-username "${INVOICE_SHARE_DB_ROOT_USER:-root}" "${password_args[@]}" --install-app erpnext
	fi
	if site_has_app "$site" invoice_share; then
		say "Migrating $site"
		bench_cmd --site "$site" migrate
	else
		say "Installing invoice_share into $site"
		bench_cmd --site "$site" install-app invoice_share
	fi
}

# Serve the site on 127.0.0.1:PORT (Frappe's own server) with one background worker.
start_server() {
	local site="$1" port="$2"
	bench_cmd --site "$site" set-config host_name "http://127.0.0.1:$port"
	say "Serving $site on http://127.0.0.1:$port"
	bench_cmd --site "$site" serve --port "$port" --noreload >"$BENCH_DIR/logs/invoice-share-serve.log" 2>&1 &
	SERVER_PIDS+=($!)
	start_worker_and_wait "$site" "$port" "$BENCH_DIR/logs/invoice-share-serve.log"
}

# start_worker_and_wait SITE PORT LOG: one background worker, then wait until the server just
# started answers on PORT (LOG is its log, named if it does not).
start_worker_and_wait() {
	local site="$1" port="$2" log="$3"
	bench_cmd --site "$site" worker --queue short,default >"$BENCH_DIR/logs/invoice-share-worker.log" 2>&1 &
	SERVER_PIDS+=($!)
	for _ in $(seq 1 120); do
		curl -fsS "http://127.0.0.1:$port/api/method/ping" >/dev/null 2>&1 && return 0
		sleep 1
	done
	echo "The server did not answer on port $port; see $log" >&2
	return 1
}

# Serve the site as production does: gunicorn with WORKERS workers (and /assets, for the PDFs'
# print CSS), plus one background worker.
start_gunicorn() { # start_gunicorn SITE PORT WORKERS
	local site="$1" port="$2" workers="$3"
	bench_cmd --site "$site" set-config host_name "http://127.0.0.1:$port"
	say "Serving $site on http://127.0.0.1:$port with gunicorn, $workers workers"
	in_bench bash -c 'cd sites && exec ../env/bin/gunicorn -b "127.0.0.1:$0" -w "$1" -t 120 --preload \
		"invoice_share.devtools.benchmark:wsgi(\"$2\")"' "$port" "$workers" "$site" \
		>"$BENCH_DIR/logs/invoice-share-gunicorn.log" 2>&1 &
	SERVER_PIDS+=($!)
	start_worker_and_wait "$site" "$port" "$BENCH_DIR/logs/invoice-share-gunicorn.log"
}

# Servers run under a few wrapper shells (and perhaps chroot): end each whole process tree.
kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$1" 2>/dev/null || true
}

stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]:-}"; do
		[ -n "$pid" ] && kill_tree "$pid"
	done
	SERVER_PIDS=()
}
