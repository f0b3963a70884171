"""Whoosh storages: plain files for the public index, sealed files for the restricted one.

SealedStorage keeps every index file encrypted on disk with casebank.crypto (AES-256-GCM under
the app's ENCRYPTION_KEY keyring), so no restricted text, term or stored field lies there in
clear. Whoosh writes each file once and never changes it, so a file is sealed when Whoosh
closes it, as a sequence of blocks each sealed on its own; a reader decrypts only the blocks it
touches, and keeps them in a process-wide cache bounded in bytes (BLOCK_CACHE), so a worker's
memory does not grow with the index. Whoosh's scratch files (the postings it spills while
indexing) are sealed the same way.
"""

import hashlib
import io
import os
import struct
import threading
from contextlib import suppress
from io import BytesIO

from whoosh.filedb.compound import SubFile
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.util import random_name

from casebank.crypto import SEALED_OVERHEAD, DecryptionError, open_sealed, seal
from casebank.lru import ByteBoundedLRU

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


# Decrypted blocks, shared by the whole process. Keyed by (file id, block number): a file id is
# random per sealed file, so a block can never be served for another file.
BLOCK_CACHE = ByteBoundedLRU(64 * 2**20)  # limit set from SEARCH_SEALED_CACHE_BYTES (engine.py)

# A sealed index file: HEADER, then its plaintext in blocks of BLOCK_SIZE (the last one shorter;
# an empty file has one empty block), each sealed with casebank.crypto.seal. Each block's
# associated data is AAD + the header + its number: a block cannot move within its file, to
# another file, or survive a change of the header's length (so a file cannot be truncated or
# extended by whole blocks either).
BLOCKS_MAGIC = b"CBSB"
BLOCKS_VERSION = 1
BLOCK_SIZE = 16 * 1024  # with 64 KiB, the same searches decrypted and kept 40% more
HEADER = struct.Struct(">4sBIQ16s")  # magic, version, block size, plaintext length, file id


def block_aad(header, number):
    return AAD + header + number.to_bytes(8, "big")


def block_count(length, block_size):
    return max(1, -(-length // block_size))


def sealed_length(length, block_size):
    return HEADER.size + length + block_count(length, block_size) * SEALED_OVERHEAD


class SealedStorage(FileStorage):
    """A FileStorage whose files are sealed on disk; the lock file holds nothing and stays plain.
    Files sealed whole by earlier versions (one casebank.crypto blob) still open: they are
    decrypted whole and cached as before, until a save's merge or a reindex rewrites them."""

    supports_mmap = False
    _whole = {}  # files sealed whole: (path, size, mtime_ns) -> plaintext bytes
    _whole_lock = threading.Lock()
    WHOLE_LIMIT = 512

    def __init__(self, path, keyring, cache=True):
        super().__init__(str(path), supports_mmap=False)
        self.keyring = keyring
        self.cache = cache

    def create_file(self, name, excl=False, mode="wb", **kwargs):
        path = self._fpath(name)
        if excl and os.path.exists(path):
            raise FileExistsError(path)
        return StructFile(SealOnClose(path, self.keyring), name=name, **kwargs)

    def open_file(self, name, **kwargs):
        path = self._fpath(name)
        raw = open(path, "rb", buffering=0)  # noqa: SIM115 - the reader owns and closes it
        try:
            magic = os.pread(raw.fileno(), len(BLOCKS_MAGIC), 0)
            if magic != BLOCKS_MAGIC or name.endswith(".toc"):
                # Tables of contents are small: read whole, so a damaged one leaves no open file.
                with raw:
                    return PlaintextFile(self._whole_plaintext(path, raw), name=name, **kwargs)
            blocks = SealedBlocks(raw, self.keyring, BLOCK_CACHE if self.cache else None)
        except BaseException:
            raw.close()
            raise
        reader = BlockReader(blocks, owner=True)
        if not self.cache:  # a scratch file, read once from start to end: see temp_storage
            return StructFile(io.BufferedReader(BlockStream(reader), RUN_BUFFER), name=name)
        return SealedFile(reader, name=name, **kwargs)

    def _whole_plaintext(self, path, raw):
        if os.pread(raw.fileno(), len(BLOCKS_MAGIC), 0) == BLOCKS_MAGIC:
            blocks = SealedBlocks(raw, self.keyring, None)
            return BlockReader(blocks).read()
        stat = os.fstat(raw.fileno())
        key = (path, stat.st_size, stat.st_mtime_ns)
        with self._whole_lock:
            data = self._whole.get(key)
        if data is None:
            data = open_sealed(raw.read(), self.keyring, AAD)
            if self.cache and not path.endswith(".toc"):
                with self._whole_lock:
                    # Whoosh deletes merged-away files; forget them so their plaintext is freed.
                    for gone in [k for k in self._whole if not os.path.exists(k[0])]:
                        del self._whole[gone]
                    if len(self._whole) >= self.WHOLE_LIMIT:
                        self._whole.clear()
                    self._whole[key] = data
        return data

    def file_length(self, name):
        path = self._fpath(name)
        with open(path, "rb") as sealed:
            start = sealed.read(HEADER.size)
            if start.startswith(BLOCKS_MAGIC):
                return parse_header(start, os.fstat(sealed.fileno()).st_size)[1]
            sealed.seek(0)
            return len(self._whole_plaintext(path, sealed))

    def list(self):
        return [n for n in super().list() if not n.endswith(".part")]

    def temp_storage(self, name=None):
        """Whoosh's scratch files (the sorted runs of postings it spills while indexing) hold
        the text's terms: sealed too, and not cached, since each is read once, in order. Whoosh
        unpickles a run's postings one by one with many small reads: through a C buffer they
        cost what reading a plain file does (straight from BlockReader, in Python, a reindex
        of 20,000 case studies took ten times as long as one of 10,000)."""
        path = os.path.join(self.folder, name or f"{random_name()}.tmp")
        return SealedStorage(path, self.keyring, cache=False).create()


def parse_header(header, size):
    """(block size, plaintext length) of a sealed file of size bytes starting with header."""
    if len(header) < HEADER.size:
        raise DecryptionError("a sealed index file is truncated")
    magic, version, block_size, length, _ = HEADER.unpack(header[: HEADER.size])
    if magic != BLOCKS_MAGIC or version != BLOCKS_VERSION or not block_size:
        raise DecryptionError("not a sealed index file of a known version")
    if size != sealed_length(length, block_size):
        raise DecryptionError("a sealed index file was truncated or extended")
    return block_size, length


class SealedBlocks:
    """One open sealed file: decrypts block n on demand, through the cache when given one."""

    def __init__(self, raw, keyring, cache):
        self.raw, self.keyring, self.cache = raw, keyring, cache
        self.header = os.pread(raw.fileno(), HEADER.size, 0)
        self.block_size, self.length = parse_header(self.header, os.fstat(raw.fileno()).st_size)
        self.file_id = self.header[-16:]

    def block(self, number):
        key = (self.file_id, number)
        if self.cache is not None:
            data = self.cache.get(key)
            if data is not None:
                return data
        stride = self.block_size + SEALED_OVERHEAD
        start = number * self.block_size
        size = min(self.block_size, self.length - start) + SEALED_OVERHEAD
        blob = os.pread(self.raw.fileno(), size, HEADER.size + number * stride)
        data = open_sealed(blob, self.keyring, block_aad(self.header, number))
        if self.cache is not None:
            self.cache.put(key, data, len(data))
        return data


class BlockReader:
    """A read-only file over a window (start, length) of a sealed file's plaintext: what
    Whoosh's StructFile and compound files need (read, readline, readinto, seek, tell)."""

    def __init__(self, blocks, start=0, length=None, owner=False):
        self.blocks, self.start, self.owner = blocks, start, owner
        self.length = blocks.length - start if length is None else length
        self.pos = 0
        self.closed = False
        self._number, self._data = -1, b""  # the block last read, kept by this reader

    def _block(self, number):
        if number != self._number:
            self._data, self._number = self.blocks.block(number), number
        return self._data

    def pread(self, position, size):
        # Most reads are a few bytes inside the block read last (Whoosh reads a column's value,
        # a posting block's header): served without the general path's bookkeeping.
        number, offset = divmod(self.start + position, self.blocks.block_size)
        inside = 0 <= position and position + size <= self.length
        if number == self._number and inside and offset + size <= len(self._data):
            return self._data[offset : offset + size]
        end = min(position + size, self.length) + self.start
        at = self.start + max(position, 0)
        block_size = self.blocks.block_size
        parts = []
        while at < end:
            number, offset = divmod(at, block_size)
            data = self._block(number)
            part = data[offset : offset + end - at]
            parts.append(part)
            at += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.length - self.pos
        data = self.pread(self.pos, size)
        self.pos += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        limit = self.length if size is None or size < 0 else min(self.length, self.pos + size)
        line = []
        while self.pos < limit:
            chunk = self.pread(self.pos, min(limit - self.pos, 4096))
            newline = chunk.find(b"\n")
            if newline >= 0:
                chunk = chunk[: newline + 1]
            line.append(chunk)
            self.pos += len(chunk)
            if newline >= 0:
                break
        return b"".join(line)

    def seek(self, where, whence=0):
        base = (0, self.pos, self.length)[whence]
        self.pos = base + where
        return self.pos

    def tell(self):
        return self.pos

    def readable(self):
        return True

    def seekable(self):
        return True

    def close(self):
        if not self.closed and self.owner:
            self.blocks.raw.close()
        self.closed = True


RUN_BUFFER = BLOCK_SIZE  # pickle peeks at what is buffered before each posting: keep it small


class BlockStream(io.RawIOBase):
    """A BlockReader as a raw stream, for io.BufferedReader."""

    def __init__(self, reader):
        super().__init__()
        self.reader = reader

    def readable(self):
        return True

    def readinto(self, buffer):
        return self.reader.readinto(buffer)

    def close(self):
        self.reader.close()
        super().close()


class SealedFile(StructFile):
    """A StructFile over a BlockReader: reads at a position without moving it, and opens the
    parts of a compound segment file as windows onto the same sealed file."""

    def get(self, position, length):
        return self.file.pread(position, length)

    def subset(self, position, length, name=None):
        reader = self.file
        part = BlockReader(reader.blocks, reader.start + position, length)
        return SealedFile(part, name=name or self._name)


class PlaintextFile(BufferFile):
    """A file decrypted whole in memory (a table of contents, or a file sealed whole by an
    earlier version). Whoosh opens the parts of a compound segment file as subsets; BufferFile
    copied each part, this one reads them in place."""

    def subset(self, position, length, name=None):
        part = SubFile(BytesIO(self._buf), position, length, name=name or self._name)
        return StructFile(part, name=name or self._name)


class SealOnClose(BytesIO):
    """A file kept in memory and written sealed, in blocks, when closed. Whoosh closes some
    files through StructFile and others through the raw file underneath; both end here."""

    def __init__(self, path, keyring):
        super().__init__()
        self.path, self.keyring = path, keyring

    def close(self):
        if not self.closed:
            temporary = f"{self.path}.{os.getpid()}.{threading.get_ident()}.part"
            with open(temporary, "wb") as out, self.getbuffer() as plaintext:
                write_blocks(out, plaintext, self.keyring, BLOCK_SIZE)
            # Whole or absent after a crash of the process. Not fsynced (a save writes eight
            # files or so, 4-5 ms each here): the index is derived data, and a file that a power
            # loss left short or empty fails its length check or its blocks' authentication,
            # and a failed read rebuilds the index (search/healing.py), as Whoosh's own plain
            # files, which it never fsyncs, are checked by their checksums (PlainStorage).
            os.replace(temporary, self.path)
        super().close()


def write_blocks(out, plaintext, keyring, block_size):
    header = HEADER.pack(BLOCKS_MAGIC, BLOCKS_VERSION, block_size, len(plaintext), os.urandom(16))
    out.write(header)
    for number in range(block_count(len(plaintext), block_size)):
        block = plaintext[number * block_size : (number + 1) * block_size]
        out.write(seal(bytes(block), keyring, block_aad(header, number)))
