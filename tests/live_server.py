"""The app with the demo data on its own SQLite database, served on a free loopback port for
the browser tests, and closed after them."""

import threading
from contextlib import contextmanager

from flask_migrate import upgrade
from werkzeug.serving import make_server

from casebank import create_app
from casebank.extensions import db
from casebank.search import rebuild, search_indexes
from casebank.services.demo import load_demo


@contextmanager
def serving(path, add_accounts):
    """Yields (app, base URL). add_accounts() runs in the app's request context after the
    demo data is loaded and before the search index is built; its changes are committed."""
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path / 'live.db'}", "INDEX_DIR": path / "index"},
    )
    with app.app_context(), app.test_request_context():
        upgrade()
        load_demo()
        add_accounts()
        db.session.commit()
        rebuild()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        search_indexes(app).close()
        with app.app_context():
            db.engine.dispose()
