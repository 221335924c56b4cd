"""A unittest run: a small suite with setUp/tearDown, subtests, expected failures and skips, run by
unittest.main (which exits with its own status)."""
import unittest


class Arithmetic(unittest.TestCase):
    def setUp(self):
        self.values = list(range(50))

    def test_sum(self):
        self.assertEqual(sum(self.values), 1225)

    def test_subtests(self):
        for i in range(20):
            with self.subTest(i=i):
                self.assertEqual(i * 2 // 2, i)

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.skip("not here")
    def test_skipped(self):
        pass


class Text(unittest.TestCase):
    def test_split(self):
        for n in range(100):
            self.assertEqual(len(("a,b," * n).split(",")), 2 * n + 1)

    def test_raises(self):
        with self.assertRaises(ValueError):
            int("x")


if __name__ == "__main__":
    unittest.main(verbosity=0)
