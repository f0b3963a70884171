"""The file store: bytes under FILE_STORE_DIR (outside the web root), named by random tokens.

A stored name is 32 hex characters from secrets; files sit in two levels of fan-out directories
(ab/cd/abcd...). Writes go to a temporary file in the same directory, are flushed to disk and
then renamed over the target (os.replace), so a reader never sees a half-written file. Nothing
a user typed is ever part of a path.
"""

import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import current_app

NAME = re.compile(r"^[0-9a-f]{32}$")


class FileStore:
    def __init__(self, root):
        self.root = Path(root)

    def path_for(self, name):
        if not NAME.fullmatch(name or ""):
            raise ValueError("not a stored file name")
        return self.root / name[:2] / name[2:4] / name

    def new_name(self):
        return secrets.token_hex(16)

    def write(self, name, data):
        """Write data under name atomically (replacing any earlier content)."""
        path = self.path_for(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def read(self, name):
        return self.path_for(name).read_bytes()

    def exists(self, name):
        return self.path_for(name).is_file()

    def remove(self, name):
        self.path_for(name).unlink(missing_ok=True)


def file_store():
    return FileStore(current_app.config["FILE_STORE_DIR"])
