"""Pack a training checkpoint into the small resume checkpoint kept in git (fp16 tensors, ~5 MB).

  /usr/bin/python3 pack_ckpt.py [--src runs/main/last.pt] [--dst checkpoints/latest.pt]

train.py --resume falls back to checkpoints/latest.pt when RUN/last.pt is absent (a fresh clone) and upcasts to fp32.
"""
import argparse
import os
import torch
from common import HERE


def half(x):
    if torch.is_tensor(x) and x.is_floating_point():
        return x.half()
    if isinstance(x, dict):
        return {k: half(v) for k, v in x.items()}
    if isinstance(x, list):
        return [half(v) for v in x]
    return x


ap = argparse.ArgumentParser()
ap.add_argument("--src", default=os.path.join(HERE, "runs", "main", "last.pt"))
ap.add_argument("--dst", default=os.path.join(HERE, "checkpoints", "latest.pt"))
args = ap.parse_args()
ck = torch.load(args.src, map_location="cpu")
small = dict(ck)
small["model"] = half(ck["model"])
small["ema"] = half(ck["ema"])
small["optimizer"] = {"state": half(ck["optimizer"]["state"]), "param_groups": ck["optimizer"]["param_groups"]}
os.makedirs(os.path.dirname(args.dst), exist_ok=True)
torch.save(small, args.dst + ".tmp")
os.replace(args.dst + ".tmp", args.dst)
print(f"{args.src} (epoch {ck['epoch']} step {ck['step']}) -> {args.dst} {os.path.getsize(args.dst) / 1e6:.1f} MB")
