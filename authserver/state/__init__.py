"""Security state every process must see alike: throttles, ended sessions, replay caches."""
