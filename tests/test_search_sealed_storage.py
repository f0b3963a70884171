"""The sealed storage of the restricted index: files sealed block by block, read back across
block boundaries, refused when a block is altered, moved, swapped or cut off, decrypted blocks
kept within the cache's bound; files sealed whole by the earlier format still open."""

import os
from pathlib import Path

import pytest
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

from casebank.crypto import SEALED_OVERHEAD, DecryptionError, Keyring, new_master_key, seal
from casebank.lru import ByteBoundedLRU
from casebank.search import storage
from casebank.search.storage import AAD, HEADER, SealedStorage

pytestmark = pytest.mark.no_db
BLOCK = 64  # bytes of plaintext per block in these tests, so small files span many blocks


@pytest.fixture
def keyring():
    return Keyring.from_text(new_master_key())


@pytest.fixture
def sealed(tmp_path, keyring, monkeypatch):
    monkeypatch.setattr(storage, "BLOCK_SIZE", BLOCK)
    cache = ByteBoundedLRU(2**20)
    monkeypatch.setattr(storage, "BLOCK_CACHE", cache)
    return SealedStorage(tmp_path / "sealed", keyring).create()


def payload(length):
    return bytes((n * 7 + n // 251) % 256 for n in range(length))


def write(store, name, data):
    with store.create_file(name) as out:
        out.write(data)
    return os.path.join(store.folder, name)


def read_all(store, name):
    with store.open_file(name) as sealed_file:
        return sealed_file.read()


def block_at(number):
    """(offset, length) on disk of full block number."""
    return HEADER.size + number * (BLOCK + SEALED_OVERHEAD), BLOCK + SEALED_OVERHEAD


def test_a_file_is_sealed_in_blocks_and_reads_back_whole(sealed):
    data = payload(10 * BLOCK + 5)
    path = write(sealed, "MAIN_x.seg", data)
    on_disk = Path(path).read_bytes()
    assert len(on_disk) == HEADER.size + len(data) + 11 * SEALED_OVERHEAD
    assert data[:32] not in on_disk
    assert read_all(sealed, "MAIN_x.seg") == data
    assert sealed.file_length("MAIN_x.seg") == len(data)


@pytest.mark.parametrize("length", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK])
def test_lengths_around_a_block_read_back(sealed, length):
    write(sealed, "f", payload(length))
    assert read_all(sealed, "f") == payload(length)
    assert sealed.file_length("f") == length


def test_reads_across_block_boundaries(sealed):
    data = payload(6 * BLOCK)
    write(sealed, "f", data)
    with sealed.open_file("f") as sealed_file:
        for position, size in [(BLOCK - 3, 6), (BLOCK - 1, 2 * BLOCK + 2), (0, 6 * BLOCK + 9)]:
            assert sealed_file.get(position, size) == data[position : position + size]
            sealed_file.seek(position)
            assert sealed_file.read(size) == data[position : position + size]
            assert sealed_file.tell() == min(position + size, len(data))
        sealed_file.seek(-4, 2)
        assert sealed_file.read() == data[-4:]
        part = sealed_file.subset(BLOCK + 10, 3 * BLOCK)  # a compound file's part
        assert part.read(2 * BLOCK) == data[BLOCK + 10 : 3 * BLOCK + 10]
        assert part.get(BLOCK - 2, 4) == data[2 * BLOCK + 8 : 2 * BLOCK + 12]
        assert part.read() == data[3 * BLOCK + 10 : 4 * BLOCK + 10]  # stops at the part's end


def test_lines_and_pickles_read_across_block_boundaries(sealed):
    lines = [b"x" * (BLOCK - 10) + b"\n", b"y" * (2 * BLOCK) + b"\n", b"end"]
    write(sealed, "lines", b"".join(lines))
    with sealed.open_file("lines") as sealed_file:
        assert [sealed_file.readline() for _ in lines] == lines
    with sealed.create_file("pickled") as out:
        out.write_pickle({"terms": list(range(200))})
    with sealed.open_file("pickled") as sealed_file:
        assert sealed_file.read_pickle() == {"terms": list(range(200))}


def tampered(path, change):
    data = bytearray(Path(path).read_bytes())
    change(data)
    Path(path).write_bytes(bytes(data))


def test_an_altered_block_is_refused_and_the_others_still_read(sealed):
    data = payload(4 * BLOCK)
    path = write(sealed, "f", data)
    offset, length = block_at(2)

    def flip(blob):
        blob[offset + length - 20] ^= 0x01

    tampered(path, flip)
    with sealed.open_file("f") as sealed_file:
        assert sealed_file.get(0, 2 * BLOCK) == data[: 2 * BLOCK]
        with pytest.raises(DecryptionError):
            sealed_file.get(2 * BLOCK, 1)


def test_two_blocks_swapped_are_refused(sealed):
    path = write(sealed, "f", payload(4 * BLOCK))
    (first, length), (second, _) = block_at(1), block_at(2)

    def swap(blob):
        blob[first : first + length], blob[second : second + length] = (
            blob[second : second + length],
            blob[first : first + length],
        )

    tampered(path, swap)
    with sealed.open_file("f") as sealed_file, pytest.raises(DecryptionError):
        sealed_file.get(BLOCK, 1)


def test_a_block_from_another_file_of_the_same_length_is_refused(sealed):
    one = write(sealed, "one", payload(3 * BLOCK))
    other = write(sealed, "other", payload(3 * BLOCK))
    offset, length = block_at(1)
    foreign = Path(other).read_bytes()[offset : offset + length]

    def replace(blob):
        blob[offset : offset + length] = foreign

    tampered(one, replace)
    with sealed.open_file("one") as sealed_file, pytest.raises(DecryptionError):
        sealed_file.get(BLOCK, 1)


def test_a_truncated_file_is_refused(sealed):
    path = write(sealed, "f", payload(4 * BLOCK))
    os.truncate(path, os.path.getsize(path) - 1)
    with pytest.raises(DecryptionError):
        sealed.open_file("f")


def test_a_file_cut_by_whole_blocks_with_a_matching_header_is_refused(sealed):
    """The header's length is bound into every block: shortening the file by whole blocks and
    writing the shorter length into the header leaves blocks that no longer open."""
    path = write(sealed, "f", payload(4 * BLOCK))
    magic, version, block_size, _, file_id = HEADER.unpack(Path(path).read_bytes()[: HEADER.size])

    def cut(blob):
        del blob[block_at(2)[0] :]
        blob[: HEADER.size] = HEADER.pack(magic, version, block_size, 2 * BLOCK, file_id)

    tampered(path, cut)
    with sealed.open_file("f") as sealed_file, pytest.raises(DecryptionError):
        sealed_file.read()


def test_decrypted_blocks_are_kept_within_the_cache_bound(sealed, monkeypatch):
    cache = ByteBoundedLRU(5 * BLOCK)
    monkeypatch.setattr(storage, "BLOCK_CACHE", cache)
    data = payload(40 * BLOCK)
    write(sealed, "f", data)
    assert read_all(sealed, "f") == data
    assert 0 < cache.held <= 5 * BLOCK
    assert sum(len(block) for block, _ in cache._items.values()) == cache.held


def test_a_file_sealed_whole_by_the_earlier_format_still_opens(sealed, keyring):
    data = payload(5 * BLOCK)
    Path(sealed.folder, "MAIN_old.seg").write_bytes(seal(data, keyring, AAD))
    assert read_all(sealed, "MAIN_old.seg") == data
    assert sealed.file_length("MAIN_old.seg") == len(data)
    with sealed.open_file("MAIN_old.seg") as old:
        assert old.subset(BLOCK, BLOCK).read() == data[BLOCK : 2 * BLOCK]


def test_a_whoosh_index_reads_through_many_small_blocks(sealed):
    """Compound segment files, hash tables, postings and stored fields all read across block
    boundaries (64-byte blocks: every structure spans several)."""
    schema = Schema(key=ID(stored=True, unique=True), body=TEXT(stored=True))
    index = sealed.create_index(schema)
    for batch in range(3):  # three segments, then one deletion
        with index.writer() as writer:
            for n in range(40):
                words = " ".join(f"word{(n * k) % 97}" for k in range(1, 30))
                writer.add_document(key=f"{batch}-{n}", body=f"pangolin{n % 5} {words}")
    with index.writer() as writer:
        writer.delete_by_term("key", "1-3")
    with index.searcher() as searcher:
        hits = searcher.search(QueryParser("body", schema).parse("pangolin3"), limit=None)
        keys = sorted(hit["key"] for hit in hits)
    expected = sorted(f"{b}-{n}" for b in range(3) for n in range(40) if n % 5 == 3)
    assert keys == [k for k in expected if k != "1-3"]
    for entry in os.scandir(sealed.folder):
        assert b"pangolin" not in Path(entry.path).read_bytes()


def test_a_build_that_spills_its_postings_reads_them_back_sealed(sealed, monkeypatch):
    """Past its memory bound a build spills sorted runs of postings to scratch files (sealed,
    read back through a buffer) and merges them: the index answers as one built in memory, and
    no run lay on disk in clear."""
    scratch = []
    close = storage.SealOnClose.close

    def seal_and_look(self):
        close(self)
        if self.path.endswith(".run"):
            scratch.append(Path(self.path).read_bytes())

    monkeypatch.setattr(storage.SealOnClose, "close", seal_and_look)
    schema = Schema(key=ID(stored=True, unique=True), body=TEXT)
    index = sealed.create_index(schema)
    with index.writer(limitmb=0.005) as writer:  # 5 KB: a run every document or two
        for n in range(200):
            words = " ".join(f"word{(n * k) % 97}" for k in range(1, 30))
            writer.add_document(key=str(n), body=f"pangolin{n % 7} {words}")
    with index.searcher() as searcher:
        for word, expected in (
            ("pangolin3", [n for n in range(200) if n % 7 == 3]),
            ("word5", [n for n in range(200) if any((n * k) % 97 == 5 for k in range(1, 30))]),
        ):
            hits = searcher.search(QueryParser("body", schema).parse(word), limit=None)
            assert sorted(int(hit["key"]) for hit in hits) == expected
    assert len(scratch) > 128  # more runs than Whoosh merges at once: runs of runs too
    assert not any(b"pangolin" in run or b"word5" in run for run in scratch)
