"""Hard negatives: train images where the model calls fire or smoke and no fire or smoke is labelled — red
watermarks, orange flower beds, stickers and signs in the garbage photos, fog-free CCTV frames — and, with
--dumping, images without a garbage or overflow box where it calls garbage or overflow (bins with liners hanging
over the rim, tidy bin rows: the dumping false alarms on real stills, session 8).
Writes one path per line (relative to the data folder) for `train.py --hard-negatives FILE:N`.

  /usr/bin/python3 mine_negatives.py --ckpt checkpoints/ft2.pt --out cache/hard_negatives.txt [--fire 0.2 --smoke 0.3]
  /usr/bin/python3 mine_negatives.py --ckpt checkpoints/ft.pt --out cache/hn_dumping.txt --sets garbage --fire 2 --smoke 2 --dumping 0.45

Train splits only (valid splits and ../shared/data/real are never looked at), so the measured sets stay unseen.
"""
import argparse
import os
import time

import numpy as np
import torch

from common import DATA, NUM_CLASSES, NAMES, list_split, letterbox, read_labels, to_tensor_np, dataset_of
from yolox import load_student

import cv2

ap = argparse.ArgumentParser()
ap.add_argument("--ckpt", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--sets", default="garbage,cctv_fire")
ap.add_argument("--fire", type=float, default=0.2, help="fire score that makes an unlabelled image a hard negative")
ap.add_argument("--smoke", type=float, default=0.3)
ap.add_argument("--dumping", type=float, default=2.0,
                help="garbage or overflow score that makes an image without garbage/overflow boxes a hard negative (default off)")
ap.add_argument("--batch", type=int, default=8)
args = ap.parse_args()
torch.set_num_threads(2)

model, _ = load_student(args.ckpt, NUM_CLASSES)
FIRE, SMOKE = NAMES.index("fire"), NAMES.index("smoke")
GARBAGE, OVERFLOW = NAMES.index("garbage"), NAMES.index("overflow")

paths = []
for ds in args.sets.split(","):
    for p in list_split(ds, "train"):
        lab = read_labels(p, ds)
        classes = lab[:, 0] if len(lab) else np.zeros(0)
        # An image is a negative for what it does not label, whatever else the model says there.
        burning = np.isin(classes, (FIRE, SMOKE)).any()
        dumping = np.isin(classes, (GARBAGE, OVERFLOW)).any()
        if burning and (dumping or args.dumping > 1):
            continue
        paths.append((p, not burning, not dumping))
print(f"{len(paths)} train images without fire/smoke (or garbage/overflow) labels in {args.sets}")

hard = []
t0 = time.time()
with torch.no_grad():
    for i in range(0, len(paths), args.batch):
        chunk = paths[i:i + args.batch]
        x = np.stack([to_tensor_np(letterbox(cv2.imread(p))[0]) for p, _, _ in chunk])
        out = model(torch.from_numpy(x))
        score = out[..., 4:5] * out[..., 5:]
        fire = score[..., FIRE].max(-1).values
        smoke = score[..., SMOKE].max(-1).values
        dump = score[..., [GARBAGE, OVERFLOW]].max(-1).values.max(-1).values
        for (p, no_burning, no_dumping), f, s, g in zip(chunk, fire.tolist(), smoke.tolist(), dump.tolist()):
            if (no_burning and (f >= args.fire or s >= args.smoke)) or (no_dumping and g >= args.dumping):
                hard.append((os.path.relpath(p, DATA), f, s))
        if (i // args.batch) % 50 == 0:
            print(f"{i + len(chunk)}/{len(paths)} images, {len(hard)} hard negatives, {time.time() - t0:.0f}s", flush=True)

os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
with open(args.out, "w") as f:
    for rel, fs, ss in hard:
        f.write(f"{rel}\n")
by = {}
for rel, _, _ in hard:
    by[dataset_of(os.path.join(DATA, rel))] = by.get(dataset_of(os.path.join(DATA, rel)), 0) + 1
print(f"wrote {len(hard)} hard negatives to {args.out} ({by}) in {time.time() - t0:.0f}s")
