"""The in-process cache (no REDIS_URL): counters expire and stay bounded like plain values."""

from shared.cache import MemoryCache


def test_counters_of_many_distinct_keys_stay_within_the_bound():
    cache = MemoryCache(max_entries=10)
    for n in range(1000):
        assert cache.incr(f"jti-{n}", 1, 60) == 1
    assert len(cache._data) <= 10


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
