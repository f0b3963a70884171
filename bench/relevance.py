"""Relevance of search over the demo case studies, against the judged collection in
tests/relevance/queries.yaml: nDCG@10, P@5 and MRR, overall and per kind of query, as an
anonymous visitor (public index) and as an officer (restricted index).

    .venv/bin/python bench/relevance.py [--queries] [--data DIR]

--queries also prints each query's measures and its first five case studies. It is a script,
not a test; tests/test_search_relevance.py keeps the mean nDCG@10 above a floor.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casebank import create_app  # noqa: E402
from casebank.extensions import db  # noqa: E402
from casebank.search import rebuild, search_indexes  # noqa: E402
from casebank.services.demo import demo_case_records, load_demo  # noqa: E402
from tests.relevance import AUDIENCES, evaluate, judged_queries  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", action="store_true", help="print every query's figures")
    parser.add_argument("--data", help="data directory to use (default: a temporary one)")
    args = parser.parse_args()
    data_dir = Path(args.data or tempfile.mkdtemp(prefix="casebank-relevance-"))
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'relevance.db'}",
            "INDEX_DIR": data_dir / "index",
            "DATA_DIR": data_dir,
        },
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_demo()
        db.session.commit()
        rebuild()
        public = {r["reference"] for r in demo_case_records() if r["access_level"] == "public"}
        queries = judged_queries()
        print(f"{len(queries)} judged queries over {len(demo_case_records())} demo case studies")
        for audience, label in AUDIENCES.items():
            summary, rows = evaluate(search_indexes().searcher(audience), audience, public, queries)
            print(f"\n{label}: {summary['all'].count} queries measured")
            print(f"  {'kind':14s} {'n':>3s} {'nDCG@10':>8s} {'P@5':>6s} {'MRR':>6s}")
            for kind, m in summary.items():
                print(f"  {kind:14s} {m.count:3d} {m.ndcg:8.3f} {m.p5:6.3f} {m.mrr:6.3f}")
            if args.queries:
                for row in sorted(rows, key=lambda r: r["ndcg"]):
                    print(
                        f"    {row['ndcg']:.3f} {row['p5']:.2f} {row['mrr']:.2f} "
                        f"{row['query']!r:34s} {' '.join(row['ranked'][:5])}"
                    )
        search_indexes().close()


if __name__ == "__main__":
    main()
