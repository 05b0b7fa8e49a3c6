"""The test oracle for subspace similarity (Hu et al. 2021, section 7), with numpy's SVD.

Reads two matrices A1 (r1 x k) and A2 (r2 x k) from the text files named by the first two
arguments, in singular_values.py's format. Prints phi(A1, A2, i, j) = ||U_i^T U_j||_F^2 / min(i, j)
for i = 1..min(r1, k), one line per i of space-separated values for j = 1..min(r2, k), at full repr
precision, where U_i holds the top-i right singular vectors of A1 and U_j those of A2.
"""

import sys

import numpy as np

from singular_values import read_matrix


def right_vectors(a):
    _, _, vt = np.linalg.svd(a, full_matrices=False)
    return vt.T


def main():
    u1 = right_vectors(read_matrix(sys.argv[1]))
    u2 = right_vectors(read_matrix(sys.argv[2]))
    for i in range(1, u1.shape[1] + 1):
        row = []
        for j in range(1, u2.shape[1] + 1):
            overlap = u1[:, :i].T @ u2[:, :j]
            row.append(repr(float(np.linalg.norm(overlap) ** 2 / min(i, j))))
        print(" ".join(row))


if __name__ == "__main__":
    main()
