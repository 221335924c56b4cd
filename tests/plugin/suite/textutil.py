"""Doctests, which pytest runs with --doctest-modules: doctest compiles each example and clears the namespace
when it is done, and the gate runs them again as they were."""


def shout(text):
    """
    >>> shout("hello")
    'HELLO!'
    >>> words = ["a", "b"]
    >>> [shout(w) for w in words]
    ['A!', 'B!']
    """
    return text.upper() + "!"
