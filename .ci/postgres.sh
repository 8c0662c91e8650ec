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
# A catalog other machines reach (docs/scaling.md), when a password file is given:
#   NEWSPRINT_PG_PASSWORD_FILE         the writers' password: role newsprint_writer, which
#                                      creates and loads the lakes (DuckLake makes its tables)
#   NEWSPRINT_PG_READER_PASSWORD_FILE  optional: role newsprint_reader, which may only read them
#   NEWSPRINT_PG_LISTEN                listen_addresses (default 127.0.0.1; '*' for every interface)
#   NEWSPRINT_PG_ALLOW                 the clients' addresses, CIDR (default 127.0.0.1/32)
# The roles log in with scram-sha-256 from NEWSPRINT_PG_ALLOW; the printed conninfo names
# newsprint_writer and holds no password: clients give it as libpq does (PGPASSFILE, ~/.pgpass
# or PGPASSWORD). The password goes to PostgreSQL on psql's standard input, never on a command
# line, in this script's output or in the server's log.
#
# Idempotent: every step is skipped when already done. Only stdout line on
# success is the connection string, so `CONN=$(bash .ci/postgres.sh)` works;
# progress goes to stderr.
#
# The superuser connects from 127.0.0.1 with `trust` auth (no password), without a Unix
# socket: without a password file the cluster is a throwaway for tests, never for real data.
# PostgreSQL 12 or newer (DuckLake's minimum). Each load holds an advisory lock per issue,
# article body and day it touches (flows/storage/lake_locks.py), up to a thousand for a backfill's
# batch: max_locks_per_transaction is 256 (the lock table: 256 x max_connections), for
# several writers at once.
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
LISTEN=${NEWSPRINT_PG_LISTEN:-127.0.0.1}
ALLOW=${NEWSPRINT_PG_ALLOW:-127.0.0.1/32}
PASSWORD_FILE=${NEWSPRINT_PG_PASSWORD_FILE:-}
READER_PASSWORD_FILE=${NEWSPRINT_PG_READER_PASSWORD_FILE:-}
MIN_MAJOR=12
WRITER=newsprint_writer
READER=newsprint_reader
# cluster owner and superuser name: postgres when root, else the current user
if [[ $EUID -eq 0 ]]; then PGUSER_NAME=postgres; else PGUSER_NAME=$(id -un); fi

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

conninfo() {
    if [[ -n $PASSWORD_FILE ]]; then
        echo "dbname=$DB host=127.0.0.1 port=$PORT user=$WRITER"
    else
        echo "dbname=$DB host=127.0.0.1 port=$PORT user=$PGUSER_NAME"
    fi
}

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
        local major
        major=$(cat "$DATA/PG_VERSION")
        (( ${major%%.*} >= MIN_MAJOR )) || die "PostgreSQL $major is older than $MIN_MAJOR, DuckLake's minimum"
        write_hba
        log "starting on $LISTEN:$PORT (log $LOG)"
        as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
            -o "-p $PORT -c listen_addresses='$LISTEN' -c unix_socket_directories='' -c max_locks_per_transaction=256" \
            start >&2 || { tail -n 30 "$LOG" >&2 || true; die "pg_ctl start failed"; }
    fi

    if [[ $(psql_db postgres -tAc "select 1 from pg_database where datname = '$DB'") != 1 ]]; then
        log "creating database $DB"
        psql_db postgres -c "create database \"$DB\""
    fi
    psql_db "$DB" -tAc "select 1" >/dev/null || die "cannot connect to $DB"
    [[ -z $PASSWORD_FILE ]] || make_roles
    conninfo
}

write_hba() {  # the superuser from 127.0.0.1 only; with a password file, the roles from $ALLOW
    {
        echo "# written by .ci/postgres.sh"
        echo "host all $PGUSER_NAME 127.0.0.1/32 trust"
        if [[ -n $PASSWORD_FILE ]]; then
            echo "host $DB $WRITER,$READER 127.0.0.1/32 scram-sha-256"
            echo "host $DB $WRITER,$READER $ALLOW scram-sha-256"
        fi
    } | as_pg tee "$DATA/pg_hba.conf" >/dev/null
}

set_password() {  # set_password ROLE FILE: the password travels on psql's stdin, and a failing
    # statement is not written to the server's log with it
    local role=$1 file=$2
    [[ -r $file ]] || die "cannot read the password file $file"
    printf "set log_min_error_statement = panic;\\nset password_encryption = 'scram-sha-256';\n\\set pw \`cat %q\`\nalter role %s password :'pw';\n" \
        "$file" "$role" | psql_db "$DB" >/dev/null
}

make_roles() {  # the writer creates the lakes' schemas and tables; the reader may read what it made
    log "roles $WRITER${READER_PASSWORD_FILE:+ and $READER}, scram-sha-256 from $ALLOW"
    psql_db "$DB" <<SQL
set client_min_messages = warning;
do \$\$ begin
    if not exists (select from pg_roles where rolname = '$WRITER') then create role $WRITER login; end if;
    if not exists (select from pg_roles where rolname = '$READER') then create role $READER login; end if;
end \$\$;
set password_encryption = 'scram-sha-256';
grant connect, create on database "$DB" to $WRITER;
grant connect on database "$DB" to $READER;
grant usage, create on schema public to $WRITER;
grant usage on schema public to $READER;
alter default privileges for role $WRITER grant usage on schemas to $READER;
alter default privileges for role $WRITER grant select on tables to $READER;
SQL
    set_password "$WRITER" "$PASSWORD_FILE"
    [[ -z $READER_PASSWORD_FILE ]] || set_password "$READER" "$READER_PASSWORD_FILE"
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
