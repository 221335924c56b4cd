"""Code compiled at run time: eval and exec of generated snippets, namedtuple and dataclass classes, all dropped
again."""
import collections
import dataclasses


def run():
    total = 0
    for i in range(300):
        total += eval("sum(x * %d for x in range(10))" % i)
        scope = {}
        exec("def f(a, b=%d):\n    return a + b\n" % i, scope)
        total += scope["f"](1)
    for i in range(30):
        Point = collections.namedtuple("Point%d" % i, "x y z")
        total += sum(Point(1, 2, 3))
        Item = dataclasses.make_dataclass("Item%d" % i, [("name", str), ("qty", int, dataclasses.field(default=0))])
        total += Item("a", 2).qty
    return total


print("total", run())
