"""The test oracle for singular values: numpy's LAPACK-backed SVD.

Reads one matrix from the text file named by the first argument: a line "rows cols", then one line
per row of space-separated floats. Prints the singular values (np.linalg.svd, compute_uv=False),
sorted in descending order, one per line at full repr precision, then a last line "rank95 R", where
R = np.where(cumsum(s**2)/sum(s**2) >= 0.95)[0][0] + 1 is the notebook's index plus one: a count.
"""

import sys

import numpy as np


def read_matrix(path):
    with open(path, encoding="ascii") as f:
        rows, cols = (int(x) for x in f.readline().split())
        values = [[float(x) for x in f.readline().split()] for _ in range(rows)]
    m = np.array(values, dtype=np.float64).reshape(rows, cols)
    return m


def main():
    m = read_matrix(sys.argv[1])
    s = np.linalg.svd(m, compute_uv=False)
    for value in s:
        print(repr(float(value)))
    explained_var = np.cumsum(s**2) / np.sum(s**2)
    print("rank95", int(np.where(explained_var >= 0.95)[0][0]) + 1)


if __name__ == "__main__":
    main()
