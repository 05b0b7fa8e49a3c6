"""numpy's time for the singular values of a matrix (np.linalg.svd, compute_uv=False: LAPACK), for
the spectrum benchmarks to set against the page's own.

Two ways to name the matrix:
    python bench/numpy-spectrum.py file PATH ROWS COLS REPEATS
        little-endian f64 entries, column-major (examples/spectrum.rs writes them);
    python bench/numpy-spectrum.py figure N RANK NOISE SEED REPEATS
        the intrinsic-rank figure's matrix U·V + noise·Z, drawn as src/math/rng.rs and
        src/math/intrinsic.rs draw it (bench/spectrum.mjs asks for it).
Prints one line per repeat, after a warm-up call: the milliseconds of that call. With
--values, prints the singular values instead, one per line.
"""

import sys
import time

import numpy as np

MASK = (1 << 64) - 1


def mix64(x):
    """SplitMix64's finaliser on an array of uint64 (wrapping arithmetic)."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def stream_key(seed, stream_id):
    seed = np.array([seed], dtype=np.uint64)
    salt = np.uint64((stream_id * 0xD6E8FEB86659FD93) & MASK)
    return mix64(mix64(seed) ^ salt)[0]


def normals(seed, stream_id, rows, cols):
    """Stream(seed, id).normal(i, j) for i < rows, j < cols."""
    key = stream_key(seed, stream_id)
    i = np.arange(rows, dtype=np.uint64)[:, None]
    j = np.arange(cols, dtype=np.uint64)[None, :]

    def bits(salt):
        return mix64(mix64(key ^ i) ^ (j * np.uint64(0xA0761D6478BD642F)) ^ np.uint64(salt))

    def unit_open(b):
        return ((b >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)

    u1, u2 = unit_open(bits(0)), unit_open(bits(0x5851F42D4C957F2D))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def figure_matrix(n, rank, noise, seed):
    u = normals(seed, 11, n, rank)
    v = normals(seed, 12, rank, n)
    return u @ v + noise * normals(seed, 13, n, n)


def main():
    args = [a for a in sys.argv[1:] if a != "--values"]
    with np.errstate(over="ignore"):
        if args[0] == "file":
            path, rows, cols, repeats = args[1], int(args[2]), int(args[3]), int(args[4])
            m = np.fromfile(path, dtype="<f8").reshape((cols, rows)).T.copy()
        else:
            n, rank, noise, seed = int(args[1]), int(args[2]), float(args[3]), int(args[4])
            repeats = int(args[5])
            m = figure_matrix(n, rank, noise, seed)
    if "--values" in sys.argv:
        for value in np.linalg.svd(m, compute_uv=False):
            print(repr(float(value)))
        return
    np.linalg.svd(m, compute_uv=False)  # warm up: loads LAPACK, starts its threads
    for _ in range(repeats):
        started = time.perf_counter()
        np.linalg.svd(m, compute_uv=False)
        print((time.perf_counter() - started) * 1000.0)


if __name__ == "__main__":
    main()
