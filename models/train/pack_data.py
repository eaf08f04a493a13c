"""Pack the training material into one small folder that can travel to a GPU machine (the device's working tree and
its carried folders share 64 MiB): the train splits (and with --valid the valid splits) of the detector's data sets,
re-encoded as JPEG at the largest side and quality that fit --budget-mb, their label files, the teacher ONNX and
the pseudo-label cache. The folder has ../shared's layout, so training reads it with PATROL_SHARED=FOLDER:

  /usr/bin/python3 pack_data.py          # -> cache/pack (gitignored), within 63 MiB less the working tree
  PATROL_SHARED=$PWD/cache/pack /usr/bin/python3 train.py --device cuda …

File names (and so every list keyed by them: pseudo labels, cctv_fire_fog.txt, hard-negative lists) are kept;
a .png keeps its name though it now holds JPEG bytes (OpenCV decodes by content). Labels are normalized, so
downscaling leaves them valid. The pack is a copy for training only: never commit it (it is under cache/).
"""
import argparse
import os
import shutil
import subprocess
import sys
import numpy as np
import cv2
from common import CACHE, DATA, REPO, SHARED, TEACHER, list_split, label_path

TRAIN_SETS = ["garbage", "forest_fire", "cctv_fire", "indoor_fire"]
VALID = [("garbage", "valid"), ("forest_fire", "valid"), ("small_fire_smoke", "test"), ("cctv_fire", "valid"),
         ("indoor_fire", "valid")]
# Tried in order until the estimate fits the budget: the largest picture first, then lower JPEG quality.
LADDER = [(416, 85), (416, 75), (352, 75), (320, 75), (320, 65), (288, 65), (256, 65), (256, 55), (224, 55), (192, 50)]


def encode(path, side, quality):
    im = cv2.imread(path)
    if im is None:
        raise SystemExit(f"pack_data: cannot read {path}")
    h, w = im.shape[:2]
    r = min(1.0, side / max(h, w))
    if r < 1:
        im = cv2.resize(im, (max(1, round(w * r)), max(1, round(h * r))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SystemExit(f"pack_data: cannot encode {path}")
    return buf.tobytes()


def working_tree_bytes():
    """What the device copies besides carried folders: tracked files and untracked ones git does not ignore."""
    out = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, capture_output=True).stdout.decode()
    return sum(os.path.getsize(os.path.join(REPO, f)) for f in out.split("\0") if f and os.path.isfile(os.path.join(REPO, f)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(CACHE, "pack"))
    ap.add_argument("--budget-mb", type=float, default=None,
                    help="MiB for the whole pack, teacher and pseudo labels included (default: 63 MiB less the working "
                         "tree, which travels with it)")
    ap.add_argument("--valid", action="store_true", help="also the valid splits, for the in-training evaluation")
    ap.add_argument("--sample", type=int, default=15, help="estimate sizes on every N-th image")
    args = ap.parse_args()

    if args.budget_mb is None:
        tree = working_tree_bytes()
        args.budget_mb = round((63 * 2 ** 20 - tree) / 2 ** 20, 1)
        print(f"working tree {tree / 2 ** 20:.1f} MiB travels too: budget {args.budget_mb} MiB", flush=True)
    splits = [(ds, "train") for ds in TRAIN_SETS] + (VALID if args.valid else [])
    images = [p for ds, split in splits for p in list_split(ds, split)]
    if not images:
        raise SystemExit(f"pack_data: no images under {DATA} (set PATROL_SHARED to the folder holding data/images)")
    if not os.path.exists(TEACHER):
        raise SystemExit(f"pack_data: the teacher {TEACHER} is missing")
    pseudo_dir = os.path.join(CACHE, "pseudo")
    pseudo = [os.path.join(pseudo_dir, f"{ds}_{split}.npz") for ds, split in splits]
    missing = [p for p in pseudo if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"pack_data: missing {missing[0]}: run pseudo_label.py first")

    fixed = os.path.getsize(TEACHER) + sum(os.path.getsize(p) for p in pseudo)
    fixed += sum(os.path.getsize(label_path(p)) for p in images if os.path.exists(label_path(p)))
    budget = args.budget_mb * 2 ** 20 - fixed
    sample = images[::args.sample]
    for side, quality in LADDER:
        est = sum(len(encode(p, side, quality)) for p in sample) / len(sample) * len(images)
        print(f"{side} px, quality {quality}: ≈ {est / 2 ** 20:.1f} MiB of pictures (+ {fixed / 2 ** 20:.1f} MiB teacher, labels, "
              f"pseudo labels), budget {args.budget_mb} MiB", flush=True)
        if est <= budget * 0.97:  # a margin for the estimate's error
            break
    else:
        raise SystemExit(f"pack_data: even {side} px at quality {quality} exceeds --budget-mb {args.budget_mb}")

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    total = 0
    for i, p in enumerate(images):
        rel = os.path.relpath(p, DATA)
        dst = os.path.join(args.out, "data", "images", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        data = encode(p, side, quality)
        with open(dst, "wb") as f:
            f.write(data)
        total += len(data)
        lab = label_path(p)
        if os.path.exists(lab):
            ldst = os.path.join(args.out, "data", "images", os.path.relpath(lab, DATA))
            os.makedirs(os.path.dirname(ldst), exist_ok=True)
            shutil.copyfile(lab, ldst)
        if (i + 1) % 500 == 0 or i + 1 == len(images):
            print(f"{i + 1}/{len(images)} images, {total / 2 ** 20:.1f} MiB", flush=True)
    os.makedirs(os.path.join(args.out, "models"), exist_ok=True)
    shutil.copyfile(TEACHER, os.path.join(args.out, "models", os.path.basename(TEACHER)))
    classes = os.path.join(SHARED, "models", "yolox_nano.classes.txt")
    shutil.copyfile(classes, os.path.join(args.out, "models", os.path.basename(classes)))
    os.makedirs(os.path.join(args.out, "pseudo"), exist_ok=True)
    for p in pseudo:
        shutil.copyfile(p, os.path.join(args.out, "pseudo", os.path.basename(p)))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f"packed {len(images)} images at ≤ {side} px, JPEG quality {quality}: {size / 2 ** 20:.1f} MiB in {args.out}")
    if size > args.budget_mb * 2 ** 20:
        print(f"pack_data: {size / 2 ** 20:.1f} MiB is over --budget-mb {args.budget_mb}: run again with a lower budget",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
