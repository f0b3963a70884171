"""Memory and latency of officer searches on the sealed (restricted) index of an existing
bench/search.py data directory, in a fresh process.

    .venv/bin/python bench/search.py --docs 10000 --keep DIR      # once, builds DIR
    .venv/bin/python bench/sealed_memory.py DIR [--queries 200] [--cache-mb 64] [--reindex]

Prints this process's resident memory (RSS, and its peak) before the index is opened, after
the first officer search and after all of them, and the search page's p50 / p95 in ms, with
the load average. --reindex first rebuilds the index with this code (so it is sealed in this
code's format) and prints how long that took. Run it from the directory bench/search.py ran
from, or with the same CASEBANK_ENCRYPTION_KEY: the testing configuration's key is kept in the
working directory's instance/.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import Officer, load_average, percentiles, queries, vocabulary  # noqa: E402
from casebank import create_app  # noqa: E402
from casebank.search import rebuild, search_for, search_indexes  # noqa: E402
from casebank.search.querying import SearchRequest  # noqa: E402


def memory():
    """(RSS, peak RSS) of this process in MB."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def show(label):
    rss, peak = memory()
    print(f"{label:44s} RSS {rss:6.0f} MB (peak {peak:6.0f} MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", help="a data directory kept by bench/search.py --keep")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--cache-mb", type=int, help="decrypted blocks kept (default: config)")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index first")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'bench.db'}",
        "INDEX_DIR": data_dir / "index",
        "DATA_DIR": data_dir,
    }
    if args.cache_mb is not None:
        settings["SEARCH_SEALED_CACHE_BYTES"] = args.cache_mb * 2**20
    app = create_app("testing", settings)
    words, weights = vocabulary()
    qs = queries(random.Random(args.seed + 1), words, weights, args.queries)  # noqa: S311
    officer = Officer()
    with app.app_context():
        print(f"load average {load_average()} at start")
        if args.reindex:
            started = time.perf_counter()
            result = rebuild()
            print(f"reindex: {time.perf_counter() - started:.1f} s, {result['entries']}")
            search_indexes().close()
            print("(the figures below are of a process that also reindexed)")
        show("before opening the restricted index")
        started = time.perf_counter()
        search_for(officer, SearchRequest(text=qs[0]))
        print(f"first officer search: {(time.perf_counter() - started) * 1000:.0f} ms")
        show("after the first officer search")
        samples = []
        for q in qs:
            started = time.perf_counter()
            search_for(officer, SearchRequest(text=q))
            samples.append(time.perf_counter() - started)
        p50, p95 = percentiles(samples)
        show(f"after {len(qs)} officer searches")
        print(f"officer search page: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        cache = getattr(sys.modules["casebank.search.storage"], "BLOCK_CACHE", None)
        if cache is not None:
            print(f"decrypted blocks kept: {cache.held / 2**20:.1f} MB of {cache.limit >> 20} MB")
        search_indexes().close()
    print(f"load average {load_average()} at the end")


if __name__ == "__main__":
    main()
