# Shared by scripts/test, scripts/demo and scripts/benchmark: work with a Frappe bench.
# Sourced, not run. Expects REPO to be set.

# The bench: INVOICE_SHARE_BENCH, else ~/frappe-bench (where Frappe's install guide puts one) if present.
if [ -n "${INVOICE_SHARE_BENCH:-}" ]; then
	BENCH="$INVOICE_SHARE_BENCH"
elif [ -d "${HOME:-/nonexistent}/frappe-bench/apps/frappe" ]; then
	BENCH="$HOME/frappe-bench"
else
	BENCH=""
fi
DB_ROOT_PASSWORD="${INVOICE_SHARE_DB_ROOT_PASSWORD:-}"
ADMIN_PASSWORD="${INVOICE_SHARE_ADMIN_PASSWORD:-admin}"
SERVER_PIDS=()

say() { printf '\n==> %s\n' "$*"; }

bench_exists() {
	[ -n "$BENCH" ] && [ -x "$BENCH/env/bin/python" ] && [ -d "$BENCH/apps/frappe" ] && [ -d "$BENCH/apps/erpnext" ]
}

in_bench() { (cd "$BENCH" && "$@"); }

bench_cmd() { in_bench bench "$@"; }

# Put this working tree into the bench as apps/invoice_share and install it into the bench's env.
install_app_into_bench() {
	local target="$BENCH/apps/invoice_share"
	if [ -e "$target" ] && [ "$(realpath "$target")" = "$(realpath "$REPO")" ]; then
		say "apps/invoice_share is this checkout"
	else
		say "Copying this checkout into $target"
		[ -L "$target" ] && rm "$target"
		mkdir -p "$target"
		rsync -a --delete --exclude '.git/' --exclude '.venv*/' --exclude '__pycache__/' \
			--exclude '.pytest_cache/' --exclude '.ruff_cache/' "$REPO/" "$target/"
	fi
	in_bench env/bin/python -m pip install --quiet -e apps/invoice_share
	grep -qx invoice_share "$BENCH/sites/apps.txt" || printf '\ninvoice_share\n' >>"$BENCH/sites/apps.txt"
	sed -i '/^$/d' "$BENCH/sites/apps.txt"
}

site_exists() { [ -f "$BENCH/sites/$1/site_config.json" ]; }

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
	(cd "$BENCH/sites" && exec ../env/bin/python -m frappe.utils.bench_helper frappe --site "$site" \
		serve --port "$port" --noreload >"$BENCH/logs/invoice-share-serve.log" 2>&1) &
	SERVER_PIDS+=($!)
	(cd "$BENCH/sites" && exec ../env/bin/python -m frappe.utils.bench_helper frappe --site "$site" \
		worker --queue short,default >"$BENCH/logs/invoice-share-worker.log" 2>&1) &
	SERVER_PIDS+=($!)
	for _ in $(seq 1 120); do
		curl -fsS "http://127.0.0.1:$port/api/method/ping" >/dev/null 2>&1 && return 0
		sleep 1
	done
	echo "The server did not answer on port $port; see $BENCH/logs/invoice-share-serve.log" >&2
	return 1
}

stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=()
}
