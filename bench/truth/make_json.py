"""Writes the input of the json.tool workload: about 4 MB of JSON, the same bytes every time."""
import json
import random
import sys

random.seed(1)
data = [{"id": i, "name": "user%d" % i, "tags": ["t%d" % j for j in range(i % 7)], "score": random.random(),
         "nested": {"a": i, "b": [1, 2, 3], "c": None}} for i in range(30000)]
with open(sys.argv[1], "w") as f:
    json.dump(data, f)
