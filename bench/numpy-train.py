"""A hand-written numpy training step, the peer of chapter 2's worker: LoRA and full fine-tuning of
a d×k linear layer on batches of b examples, loss ½‖ŷ − y‖² averaged over the batch, Adam with
β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ and bias correction, as src/math/train.rs trains.

    python bench/numpy-train.py [D K RANK BATCH SECONDS]

Prints two lines, "lora STEPS_PER_SECOND" and "full STEPS_PER_SECOND": the best of five rounds of
SECONDS / 5 each (defaults: 64 64 8 32 2). One thread, as the worker has: set OMP_NUM_THREADS=1
(bench/train.mjs does).
"""

import sys
import time

import numpy as np


class Adam:
    def __init__(self, shapes):
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.t = 0

    def step(self, params, grads, rates):
        self.t += 1
        c1 = 1.0 - 0.9**self.t
        c2 = 1.0 - 0.999**self.t
        for p, g, m, v, rate in zip(params, grads, self.m, self.v, rates):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= rate * (m / c1) / (np.sqrt(v / c2) + 1e-8)


def lora_step(x, t, b, a, scale, adam, rate):
    """One LoRA step on inputs x (n×k) and targets t = y − W₀x (n×d): ŷ − W₀x = s·(x·Aᵀ)·Bᵀ."""
    n = x.shape[0]
    h = x @ a.T
    err = scale * (h @ b.T) - t
    loss = 0.5 * np.sum(err * err) / n
    g_out = err / n
    grad_b = scale * (g_out.T @ h)
    grad_a = scale * ((g_out @ b).T @ x)
    adam.step([b, a], [grad_b, grad_a], [rate, rate])
    return loss


def full_step(x, t, delta, adam, rate):
    """One full fine-tuning step: ŷ − W₀x = x·ΔWᵀ."""
    n = x.shape[0]
    err = x @ delta.T - t
    loss = 0.5 * np.sum(err * err) / n
    grad = (err / n).T @ x
    adam.step([delta], [grad], [rate])
    return loss


def best_rate(step, seconds):
    best = 0.0
    for _ in range(5):
        steps = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds / 5:
            for _ in range(50):
                step()
            steps += 50
        best = max(best, steps / (time.perf_counter() - started))
    return best


def main():
    d, k, rank, batch = (int(v) for v in sys.argv[1:5]) if len(sys.argv) > 4 else (64, 64, 8, 32)
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    rng = np.random.default_rng(1)
    examples = 1024
    xs = rng.standard_normal((examples, k))
    ts = xs @ (0.1 * rng.standard_normal((d, k))).T
    cursor = [0]

    def batch_of():
        start = cursor[0]
        cursor[0] = (start + batch) % (examples - batch)
        return xs[start : start + batch], ts[start : start + batch]

    b = np.zeros((d, rank))
    a = rng.uniform(-1 / np.sqrt(k), 1 / np.sqrt(k), (rank, k))
    lora_adam = Adam([b.shape, a.shape])
    delta = np.zeros((d, k))
    full_adam = Adam([delta.shape])
    scale = 8.0 / rank
    print(f"lora {best_rate(lambda: lora_step(*batch_of(), b, a, scale, lora_adam, 0.005), seconds):.0f}")
    print(f"full {best_rate(lambda: full_step(*batch_of(), delta, full_adam, 0.005), seconds):.0f}")


if __name__ == "__main__":
    main()
