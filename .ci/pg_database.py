"""Create, drop or ping a PostgreSQL database for CI: pg_database.py ADMIN_URL ACTION [NAME]."""

import re
import sys

import psycopg


def main(admin_url, action, name=None):
    if name is not None and not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"unsafe database name {name!r}")
    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable: {error}", file=sys.stderr)
        return 1
    with conn:
        if action == "create":
            conn.execute(f"CREATE DATABASE {name}")
        elif action == "drop":
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
