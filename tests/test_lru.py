"""The store bounded in bytes behind the page cache and the sealed index's block cache
(casebank/lru.py): least recently used out first, sizes as the caller counts them."""

import threading

import pytest

from casebank.lru import ByteBoundedLRU

pytestmark = pytest.mark.no_db


def kept(store, keys):
    return [key for key in keys if store.get(key) is not None]


def test_the_least_recently_used_goes_first():
    store = ByteBoundedLRU(30)
    for key in "abc":
        store.put(key, key.upper(), 10)
    assert store.get("a") == "A"  # a is now the most recently used
    store.put("d", "D", 10)
    assert store.get("b") is None
    assert kept(store, "acd") == list("acd") and store.held == 30


def test_a_put_makes_room_by_as_many_as_it_needs():
    store = ByteBoundedLRU(30)
    for key in "abc":
        store.put(key, key, 10)
    store.put("d", "d", 25)
    assert kept(store, "abcd") == ["d"] and store.held == 25


def test_the_size_counted_is_the_one_the_caller_gives():
    store = ByteBoundedLRU(100)
    store.put("a", b"", 60)  # a page counts its key too, not only its body
    store.put("b", b"x" * 60, 50)
    assert kept(store, "ab") == ["b"] and store.held == 50


def test_putting_a_key_again_replaces_its_value_and_its_size():
    store = ByteBoundedLRU(30)
    store.put("a", "old", 10)
    store.put("b", "b", 10)
    store.put("a", "new", 15)
    assert store.get("a") == "new" and store.held == 25
    store.put("a", "newer", 5)
    assert store.held == 15
    store.put("c", "c", 15)  # 30: nothing goes
    assert kept(store, "abc") == list("abc") and store.held == 30


def test_putting_a_key_again_makes_it_the_most_recently_used():
    store = ByteBoundedLRU(30)
    for key in "abc":
        store.put(key, key, 10)
    store.put("a", "a", 10)
    store.put("d", "d", 10)
    assert kept(store, "abcd") == list("acd")


def test_a_value_larger_than_largest_is_refused_and_evicts_nothing():
    store = ByteBoundedLRU(80, largest=10)
    store.put("a", "a", 10)
    store.put("big", "big", 11)
    assert kept(store, ["a", "big"]) == ["a"] and store.held == 10
    store.put("a", "huge", 11)  # refused: what a held stays
    assert store.get("a") == "a" and store.held == 10


def test_by_default_the_largest_value_is_the_whole_limit():
    store = ByteBoundedLRU(30)
    store.put("a", "a", 10)
    store.put("whole", "whole", 30)
    assert kept(store, ["a", "whole"]) == ["whole"] and store.held == 30
    store.put("over", "over", 31)
    assert store.get("over") is None and store.held == 30


def test_a_lowered_limit_applies_from_the_next_put():
    store = ByteBoundedLRU(100)
    for key in "abcd":
        store.put(key, key, 10)
    store.limit = 25
    store.put("e", "e", 10)
    assert kept(store, "abcde") == list("de") and store.held == 20
    store.put("f", "f", 26)  # over the new limit, which is also the largest
    assert store.get("f") is None


def test_clear_forgets_everything():
    store = ByteBoundedLRU(30)
    store.put("a", "a", 10)
    store.clear()
    assert store.get("a") is None and store.held == 0


def test_the_count_stays_right_under_threads():
    store = ByteBoundedLRU(1000)

    def put_many(offset):
        for n in range(2000):
            key = (n * 7 + offset) % 300
            store.put(key, key, key % 13 + 1)
            store.get((key * 3) % 300)

    threads = [threading.Thread(target=put_many, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.held == sum(size for _, size in store._items.values()) <= 1000
