"""Whoosh storages: plain files for the public index, sealed files for the restricted one.

SealedStorage keeps every index file encrypted on disk with casebank.crypto (AES-256-GCM under
the app's ENCRYPTION_KEY keyring), so no restricted text, term or stored field lies there in
clear. Whoosh writes each file once and never changes it, so a file is sealed when Whoosh
closes it and opened (and cached in memory, by name, size and mtime) when Whoosh reads it.
Whoosh's scratch files (the postings it spills while indexing) are sealed the same way.
"""

import hashlib
import os
import threading
from contextlib import suppress
from io import BytesIO

from whoosh.filedb.compound import SubFile
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.util import random_name

from casebank.crypto import open_sealed, seal

# Not bound to the file name: Whoosh writes its table of contents under a temporary name and
# renames it.
AAD = b"casebank-search-index"


class CorruptSegment(OSError):
    """A segment file no longer holds what was written (its checksum differs)."""


class PlainStorage(FileStorage):
    """FileStorage without mmap: opening a searcher is then cheap (with mmap it cost 24 ms and
    88 MB at 10,000 documents, about 220 ms and 780 MB at 100,000, on every open).

    Each file of a segment gets a SHA-256 checksum beside it when written, checked the first time
    a process opens it: a damaged segment can read without error and answer wrong results
    (one hit where 27 matched), so damage must be found, not waited for. (The restricted
    index's sealed files are authenticated by their encryption already.)"""

    _verified = set()  # (path, size, mtime_ns) of files whose checksum matched
    _verified_lock = threading.Lock()

    def __init__(self, path):
        super().__init__(str(path), supports_mmap=False)

    def create_file(self, name, excl=False, mode="wb", **kwargs):
        if checked(name):
            kwargs["onclose"] = checksum_on_close(self._fpath(name), kwargs.get("onclose"))
        return super().create_file(name, excl, mode, **kwargs)

    def open_file(self, name, **kwargs):
        # Tables of contents are small; read them whole, because Whoosh leaves the file open
        # when one cannot be parsed (a damaged index), and then /healthz would leak a handle.
        if name.endswith(".toc"):
            with open(self._fpath(name), "rb") as toc:
                return BufferFile(memoryview(toc.read()), name=name, **kwargs)
        if checked(name):
            self.verify(self._fpath(name))
        return super().open_file(name, **kwargs)

    def list(self):
        # Whoosh lists "<segment id>.*" to assemble a compound segment from its parts: the
        # checksums (and their temporary files) are not parts; they go with their files.
        return [n for n in super().list() if CHECKSUM not in n]

    def delete_file(self, name):
        super().delete_file(name)
        if checked(name):
            with suppress(FileNotFoundError):
                os.remove(self._fpath(name) + CHECKSUM)

    def verify(self, path):
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns)
        if key in self._verified:
            return
        try:
            with open(path + CHECKSUM, encoding="ascii") as recorded:
                expected = recorded.read().strip()
        except FileNotFoundError:
            return  # a segment written before checksums: nothing to compare with
        if file_digest(path) != expected:
            raise CorruptSegment(f"search index segment {os.path.basename(path)} is damaged")
        with self._verified_lock:
            self._verified.add(key)


CHECKSUM = ".sha256"  # Whoosh deletes "<segment id>.*" with its segment: the checksums too


def checked(name):
    """A segment's files ("MAIN_<id>.<ext>") are written once and never changed. Tables of
    contents ("_MAIN_<n>.toc", written under a temporary "_MAIN_<n>.toc.<time>") are replaced
    by renaming, and read whole, parsed or refused, at every open."""
    return not name.startswith("_")


def checksum_on_close(path, then=None):
    def write_checksum(structfile):
        if then:
            then(structfile)
        structfile.file.flush()
        temporary = f"{path}{CHECKSUM}.{os.getpid()}.part"
        with open(temporary, "w", encoding="ascii") as out:
            out.write(file_digest(path))
        os.replace(temporary, path + CHECKSUM)

    return write_checksum


def file_digest(path):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class SealedStorage(FileStorage):
    """A FileStorage whose files are sealed on disk; the lock file holds nothing and stays plain."""

    supports_mmap = False
    _cache = {}  # (path, size, mtime_ns) -> plaintext bytes, shared by the whole process
    _cache_lock = threading.Lock()
    CACHE_LIMIT = 512

    def __init__(self, path, keyring, cache=True):
        super().__init__(str(path), supports_mmap=False)
        self.keyring = keyring
        self.cache = cache

    def create_file(self, name, excl=False, mode="wb", **kwargs):
        path = self._fpath(name)
        if excl and os.path.exists(path):
            raise FileExistsError(path)
        return StructFile(SealOnClose(path, self.keyring), name=name, **kwargs)

    def _plaintext(self, name):
        path = self._fpath(name)
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns)
        with self._cache_lock:
            data = self._cache.get(key)
        if data is None:
            with open(path, "rb") as sealed:
                data = open_sealed(sealed.read(), self.keyring, AAD)
            if not self.cache:
                return data
            with self._cache_lock:
                # Whoosh deletes merged-away files; forget them so their plaintext is freed.
                for gone in [k for k in self._cache if not os.path.exists(k[0])]:
                    del self._cache[gone]
                if len(self._cache) >= self.CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = data
        return data

    def open_file(self, name, **kwargs):
        # bytes, not a memoryview: BytesIO shares a bytes object's memory but copies a view's.
        return PlaintextFile(self._plaintext(name), name=name, **kwargs)

    def file_length(self, name):
        return len(self._plaintext(name))

    def list(self):
        return [n for n in super().list() if not n.endswith(".part")]

    def temp_storage(self, name=None):
        """Whoosh's scratch files (the sorted runs of postings it spills while indexing) hold
        the text's terms: sealed too, and not cached, since each is read once."""
        path = os.path.join(self.folder, name or f"{random_name()}.tmp")
        return SealedStorage(path, self.keyring, cache=False).create()


class PlaintextFile(BufferFile):
    """A decrypted file in memory. Whoosh opens the parts of a compound segment file as
    subsets; BufferFile copied each part (for a 100,000-case index, a hundred MB per reader
    opened, on every save), this one reads them in place, as Whoosh does from disk."""

    def subset(self, position, length, name=None):
        part = SubFile(BytesIO(self._buf), position, length, name=name or self._name)
        return StructFile(part, name=name or self._name)


class SealOnClose(BytesIO):
    """A file kept in memory and written sealed, whole, when closed. Whoosh closes some files
    through StructFile and others through the raw file underneath; both end here."""

    def __init__(self, path, keyring):
        super().__init__()
        self.path, self.keyring = path, keyring

    def close(self):
        if not self.closed:
            sealed = seal(self.getvalue(), self.keyring, AAD)
            temporary = f"{self.path}.{os.getpid()}.{threading.get_ident()}.part"
            with open(temporary, "wb") as out:
                out.write(sealed)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)  # whole or absent, even after a crash
        super().close()
