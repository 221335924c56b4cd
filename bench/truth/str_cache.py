"""A str-keyed cache that lives as long as the program: keys of every length (short ones are interned by
nobody), values that are lists and dicts."""
CACHE = {}


def key(i):
    return "entry-%d-%s" % (i, "k" * (i % 40))


def fill(n):
    for i in range(n):
        CACHE[key(i)] = [i, {"name": key(i), "even": i % 2 == 0}]


fill(5000)
print("cached", len(CACHE), "entries")
