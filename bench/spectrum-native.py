"""numpy's time for the singular values of one matrix (np.linalg.svd, compute_uv=False: LAPACK).

Reads a matrix of little-endian f64 written column-major, whose shape the arguments give:
    python bench/spectrum-native.py PATH ROWS COLS REPEATS
Prints one line per repeat: the milliseconds of that call. examples/spectrum.rs runs it.
"""

import sys
import time

import numpy as np


def main():
    path, rows, cols, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    m = np.fromfile(path, dtype="<f8").reshape((cols, rows)).T.copy()
    np.linalg.svd(m, compute_uv=False)  # warm up: loads LAPACK, starts its threads
    for _ in range(repeats):
        started = time.perf_counter()
        np.linalg.svd(m, compute_uv=False)
        print((time.perf_counter() - started) * 1000.0)


if __name__ == "__main__":
    main()
