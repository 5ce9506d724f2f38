"""The in-process cache (no REDIS_URL): bounded, evicting one entry at a time; counters that are
security state never lose a live count."""

import time

from shared.cache import MemoryCache


def test_counters_of_many_distinct_keys_stay_within_the_bound():
    cache = MemoryCache(max_entries=10)
    for n in range(1000):
        assert cache.incr(f"jti-{n}", 1, 60) == 1
    assert len(cache) <= 10


def test_a_counter_keeps_counting_when_the_cache_is_full():
    cache = MemoryCache(max_entries=2)
    cache.set("a", "x", 60)
    assert [cache.incr("b", 1, 60) for _ in range(3)] == [1, 2, 3]


def test_memory_counters_never_drop_a_live_count_when_full():
    from shared.cache import MemoryCache
    from shared.cache import MemoryCounters

    counters, cache = MemoryCounters(max_entries=100), MemoryCache(max_entries=100)
    for store in (counters, cache):
        store.incr("rpm:client:a", 5, 60)
        for number in range(250):
            store.set(f"flood-{number}", "1", 60)
    assert counters.incr("rpm:client:a", 1, 60) == 6
    assert cache.get("rpm:client:a") is None  # a cache may forget; counters may not


def test_a_full_cache_evicts_the_least_recently_used_entry_not_everything():
    cache = MemoryCache(max_entries=3)
    for key in ("a", "b", "c"):
        cache.set(key, key, 60)
    assert cache.get("a") == "a"  # b is now the least recently used
    cache.set("d", "d", 60)
    assert [cache.get(key) for key in ("a", "b", "c", "d")] == ["a", None, "c", "d"]


def test_each_entry_expires_at_its_own_deadline():
    cache = MemoryCache(max_entries=10)
    cache.set("short", "1", 0.05)
    cache.set("long", "2", 60)
    time.sleep(0.1)
    assert (cache.get("short"), cache.get("long")) == (None, "2")
