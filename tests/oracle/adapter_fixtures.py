"""Writes the adapter inspector's fixtures, and what numpy says about them, into a folder.

Usage: adapter_fixtures.py OUT_DIR

Each fixture NAME is NAME.safetensors, written by the safetensors package with PEFT's key names and
shapes (lora_A is [r, in], lora_B is [out, r], prefix base_model.model.), NAME.config.json when it
has an adapter_config.json, and NAME.expected.json: every module's rank, shape, parameters, scale
and the singular values of s * B @ A by np.linalg.svd in float64, from the weights as stored. The
scale follows PEFT's rules: rank_pattern and alpha_pattern keys matched as
re.match(rf"(.*\\.)?({key})$", path), first match wins, and alpha / sqrt(r) with use_rslora.
"""

import json
import math
import os
import re
import sys

import numpy as np
from safetensors import TensorSpec, serialize

PREFIX = "base_model.model."

# (path, in, out) of each adapted module in one block of a small Llama-shaped model.
BLOCK = [
    ("self_attn.q_proj", 32, 32),
    ("self_attn.v_proj", 32, 16),
    ("mlp.down_proj", 48, 32),
]


def to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns, rounding to nearest even."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def stored(x, dtype):
    """The array to write and the float64 values a reader decodes from it."""
    if dtype == "bfloat16":
        bits = to_bf16_bits(x)
        return bits, from_bf16_bits(bits)
    arr = np.ascontiguousarray(x, dtype={"float32": np.float32, "float16": np.float16}[dtype])
    return arr, arr.astype(np.float64)


def write(path, tensors, metadata=None):
    """tensors: name -> (array, dtype name)."""
    specs = {
        name: TensorSpec(
            dtype=dtype, shape=list(arr.shape), data_ptr=arr.ctypes.data, data_len=arr.nbytes
        )
        for name, (arr, dtype) in tensors.items()
    }
    with open(path, "wb") as f:
        f.write(bytes(serialize(specs, metadata=metadata)))


def pattern_value(patterns, path, default):
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", path):
            return value
    return default


def adapter(out_dir, name, config, dtype, layers=3, seed=0, nan=False, extra=None):
    rng = np.random.default_rng(seed)
    tensors = {}
    modules = []
    for layer in range(layers):
        for sub, n_in, n_out in BLOCK:
            path = f"model.layers.{layer}.{sub}"
            r = pattern_value(config.get("rank_pattern", {}), path, config["r"])
            alpha = pattern_value(config.get("alpha_pattern", {}), path, config["lora_alpha"])
            scale = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r
            a = rng.standard_normal((r, n_in)) / math.sqrt(n_in)
            b = rng.standard_normal((n_out, r)) * 0.05
            if layer == 1 and sub == "self_attn.q_proj":
                b[:, 2:] = b[:, :1]  # a rank-deficient update: B has rank 2
            a_arr, a64 = stored(a, dtype)
            b_arr, b64 = stored(b, dtype)
            tensors[f"{PREFIX}{path}.lora_A.weight"] = (a_arr, dtype)
            tensors[f"{PREFIX}{path}.lora_B.weight"] = (b_arr, dtype)
            if config.get("use_dora"):
                m = np.linalg.norm(rng.standard_normal((n_out, n_in)), axis=1)
                tensors[f"{PREFIX}{path}.lora_magnitude_vector"] = (stored(m, dtype)[0], dtype)
            sigma = np.linalg.svd(scale * b64 @ a64, compute_uv=False)
            modules.append(
                {
                    "path": path,
                    "layer": layer,
                    "r": r,
                    "in": n_in,
                    "out": n_out,
                    "params": r * (n_in + n_out),
                    "alpha": alpha,
                    "scale": scale,
                    "frobenius": float(np.linalg.norm(scale * b64 @ a64)),
                    "sigma": [float(s) for s in sigma[: min(r, n_in, n_out)]],
                }
            )
    if nan:
        a_arr, _ = tensors[f"{PREFIX}model.layers.0.self_attn.q_proj.lora_A.weight"]
        a_arr[0, 0] = np.nan
        a_arr[1, 1] = np.inf
    for key, arr in (extra or {}).items():
        tensors[key] = (stored(arr, dtype)[0], dtype)
    write(os.path.join(out_dir, f"{name}.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(out_dir, f"{name}.config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    with open(os.path.join(out_dir, f"{name}.expected.json"), "w", encoding="utf-8") as f:
        json.dump({"modules": modules}, f)


def kohya(out_dir):
    rng = np.random.default_rng(7)
    tensors = {}
    modules = []
    for block in range(2):
        path = f"lora_unet_down_blocks_{block}_attentions_0_proj_in"
        r, n_in, n_out, alpha = 4, 20, 24, 2.0
        a_arr, a64 = stored(rng.standard_normal((r, n_in)), "float16")
        b_arr, b64 = stored(rng.standard_normal((n_out, r)) * 0.1, "float16")
        tensors[f"{path}.lora_down.weight"] = (a_arr, "float16")
        tensors[f"{path}.lora_up.weight"] = (b_arr, "float16")
        tensors[f"{path}.alpha"] = (np.array(alpha, dtype=np.float16), "float16")
        sigma = np.linalg.svd(alpha / r * b64 @ a64, compute_uv=False)
        modules.append(
            {
                "path": path,
                "layer": block,
                "r": r,
                "in": n_in,
                "out": n_out,
                "params": r * (n_in + n_out),
                "alpha": alpha,
                "scale": alpha / r,
                "frobenius": float(np.linalg.norm(alpha / r * b64 @ a64)),
                "sigma": [float(s) for s in sigma[:r]],
            }
        )
    write(os.path.join(out_dir, "kohya.safetensors"), tensors)
    with open(os.path.join(out_dir, "kohya.expected.json"), "w", encoding="utf-8") as f:
        json.dump({"modules": modules}, f)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    targets = ["q_proj", "v_proj", "down_proj"]
    adapter(
        out_dir,
        "f32",
        {
            "peft_type": "LORA",
            "r": 4,
            "lora_alpha": 8,
            "target_modules": targets,
            "rank_pattern": {"layers.1.self_attn.v_proj": 6, "down_proj": 2},
            "alpha_pattern": {"down_proj": 3},
        },
        "float32",
    )
    adapter(
        out_dir,
        "bf16",
        {
            "peft_type": "LORA",
            "r": 8,
            "lora_alpha": 16,
            "use_rslora": True,
            "use_dora": True,
            "target_modules": targets,
            "modules_to_save": ["score"],
            "rank_pattern": {"model.layers.2.mlp.down_proj": 4},
            "alpha_pattern": {},
        },
        "bfloat16",
        seed=1,
        extra={f"{PREFIX}score.weight": np.ones((2, 32))},
    )
    adapter(
        out_dir,
        "f16",
        {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": "all-linear"},
        "float16",
        layers=2,
        seed=2,
    )
    adapter(
        out_dir,
        "nan",
        {"peft_type": "LORA", "r": 4, "lora_alpha": 4, "target_modules": targets},
        "float32",
        layers=1,
        seed=3,
        nan=True,
    )
    kohya(out_dir)


if __name__ == "__main__":
    main()
