#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the DuckLake catalog (CI and local dev).
#
#   bash .ci/postgres.sh [start]   install if missing, initdb, start, create db, print conninfo
#   bash .ci/postgres.sh stop      stop the cluster (data dir kept)
#   bash .ci/postgres.sh status    exit 0 if running
#   bash .ci/postgres.sh conninfo  print the libpq connection string
#   bash .ci/postgres.sh destroy   stop and delete the data dir
#
# Settings (environment, or positional: start [DIR] [PORT]):
#   NEWSPRINT_PG_DIR   data dir            (default /tmp/newsprint-pg)
#   NEWSPRINT_PG_PORT  TCP port            (default 54329)
#   NEWSPRINT_PG_DB    database to create  (default newsprint)
#
# Idempotent: every step is skipped when already done. Only stdout line on
# success is the connection string, so `CONN=$(bash .ci/postgres.sh)` works;
# progress goes to stderr.
#
# The server listens on 127.0.0.1 only, without a Unix socket, with `trust`
# auth (no password): a throwaway for tests, never for real data.
# As root, initdb/postgres run as the `postgres` system user (created by the
# Debian package), because PostgreSQL refuses to run as root; so DIR's parent
# must be reachable by that user (the default under /tmp is).
set -euo pipefail

cmd=${1:-start}
[[ $# -gt 0 ]] && shift
PGDIR=${1:-${NEWSPRINT_PG_DIR:-/tmp/newsprint-pg}}
PORT=${2:-${NEWSPRINT_PG_PORT:-54329}}
DB=${NEWSPRINT_PG_DB:-newsprint}
DATA=$PGDIR/data
LOG=$PGDIR/server.log
# cluster owner and superuser name: postgres when root, else the current user
if [[ $EUID -eq 0 ]]; then PGUSER_NAME=postgres; else PGUSER_NAME=$(id -un); fi

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

conninfo() { echo "dbname=$DB host=127.0.0.1 port=$PORT user=$PGUSER_NAME"; }

find_bindir() {  # newest /usr/lib/postgresql/<major>/bin that has initdb
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb ]] || continue
        if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1) == "$d" ]]; then
            best=$d
        fi
    done
    [[ -n $best ]] && echo "$best"
}

install_pg() {
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and installing it needs root"
    log "installing PostgreSQL with apt-get"
    # Do not let the Debian package create (and try to start) its own
    # 'main' cluster on 5432: we only want the binaries.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/newsprint-no-main.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2
}

BINDIR=$(find_bindir || true)

# as_pg CMD...: run CMD as the cluster owner (postgres when we are root)
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$PGUSER_NAME" -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [[ -n $BINDIR && -f $DATA/PG_VERSION ]] && as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_db() {  # psql_db DBNAME ARGS...
    local db=$1; shift
    as_pg "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" -d "$db" "$@"
}

start() {
    if [[ -z $BINDIR ]]; then
        install_pg
        BINDIR=$(find_bindir) || die "no /usr/lib/postgresql/*/bin/initdb after install"
    fi
    if [[ $EUID -eq 0 ]]; then
        id -u "$PGUSER_NAME" >/dev/null 2>&1 || die "system user $PGUSER_NAME missing"
    fi

    mkdir -p "$PGDIR"
    [[ $EUID -eq 0 ]] && chown "$PGUSER_NAME": "$PGDIR"
    as_pg test -w "$PGDIR" || die "$PGDIR is not writable by $PGUSER_NAME (a parent dir mode 700?)"

    if is_running; then
        local running_port
        running_port=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)
        [[ $running_port == "$PORT" ]] \
            || die "cluster in $DATA already runs on port $running_port, not $PORT"
        log "already running on port $PORT"
    else
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            die "port $PORT on 127.0.0.1 is taken by another process"
        fi
        if [[ ! -f $DATA/PG_VERSION ]]; then
            log "initdb $DATA"
            as_pg "$BINDIR/initdb" -D "$DATA" -U "$PGUSER_NAME" --auth=trust \
                --encoding=UTF8 --locale=C.UTF-8 >"$PGDIR/initdb.log" 2>&1 \
                || { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
        fi
        log "starting on 127.0.0.1:$PORT (log $LOG)"
        as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >&2 \
            || { tail -n 30 "$LOG" >&2 || true; die "pg_ctl start failed"; }
    fi

    if [[ $(psql_db postgres -tAc "select 1 from pg_database where datname = '$DB'") != 1 ]]; then
        log "creating database $DB"
        psql_db postgres -c "create database \"$DB\""
    fi
    psql_db "$DB" -tAc "select 1" >/dev/null || die "cannot connect to $DB"
    conninfo
}

stop() {
    if is_running; then
        log "stopping"
        as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >&2
    else
        log "not running"
    fi
}

case $cmd in
    start) start ;;
    stop) stop ;;
    status) if is_running; then log "running"; else log "not running"; exit 1; fi ;;
    conninfo) conninfo ;;
    destroy) stop; rm -rf "$PGDIR"; log "removed $PGDIR" ;;
    *) die "usage: $0 [start|stop|status|conninfo|destroy] [DIR] [PORT]" ;;
esac
