"""Crops for the crop check (`train_crop_check.py`): what the detector calls fire, overflow or garbage, cut the way
the runtime cuts it, with the answer from the labels.

  /usr/bin/python3 check_crops.py --ckpt checkpoints/ft.pt --out cache/check_crops.npz

Per checked class, positives are its labelled boxes of the train splits, jittered as a detector's box would be, and
the detector's own boxes that match one (IoU ≥ 0.5). Negatives are the detector's boxes of the class (score ≥ 0.05)
where the labels say there is none:
- fire: train images that label no fire and no smoke (garbage photos: red bins, signs, flowers, watermarks;
  fire-free CCTV frames), plus warm-coloured patches of them (orange, red, yellow). Fire images give no negatives:
  their labels miss small flames.
- smoke: train images that label no fire and no smoke, and the cctv_fire frames whose "smoke" is fog from an
  anti-burglary fog cannon (`cctv_fire_fog.txt`, looked at by eye): their smoke boxes too are negatives. indoor_fire
  never labels smoke and the frames marked unclear are left out.
- overflow: garbage photos (labelled for bins, overflow and garbage), boxes away from every overflow label, and the
  labelled bins that are not overflowing (liners hanging over the rim, full but closed).
- garbage: garbage photos, boxes away from every garbage and overflow label; fire-free CCTV frames.

Train splits only (valid splits and ../shared/data/real are never read), so the measured sets stay unseen.
The crop rule is `crop_box` here and `src/detect/crop.ts` at run time; keep them the same.
"""
import argparse
import os
import time
import zlib

import cv2
import numpy as np
import torch
import torchvision

from common import DATA, NAMES, NUM_CLASSES, SIZE, letterbox, list_split, read_labels, to_tensor_np
from yolox import decode, load_student
from data import read_fog_list

CROP = 64
GROW = 1.3  # context around the box: the flame's edge and what it burns on
MIN_SIDE = 12
FIRE, SMOKE = NAMES.index("fire"), NAMES.index("smoke")
GARBAGE, BIN, OVERFLOW = NAMES.index("garbage"), NAMES.index("garbage_bin"), NAMES.index("overflow")
CHECKED = ("fire", "smoke", "overflow", "garbage")  # the check's output columns, in order
FOG_LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cctv_fire_fog.txt")
SETS = ("forest_fire", "indoor_fire", "cctv_fire", "garbage")


def crop_box(canvas, content_w, content_h, x1, y1, x2, y2):
    """Box (letterboxed input pixels) grown by GROW, clipped to the picture, resized to CROP² (bilinear)."""
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    w, h = max((x2 - x1) * GROW, MIN_SIDE), max((y2 - y1) * GROW, MIN_SIDE)
    l, r = int(np.floor(max(0, cx - w / 2))), int(np.ceil(min(content_w, cx + w / 2)))
    t, b = int(np.floor(max(0, cy - h / 2))), int(np.ceil(min(content_h, cy + h / 2)))
    if r - l < 2 or b - t < 2:
        return None
    return cv2.resize(canvas[t:b, l:r], (CROP, CROP), interpolation=cv2.INTER_LINEAR)


def held_out(path):
    """A stable 15 % of the images, by name: the threshold is chosen there, never on the valid splits."""
    return zlib.crc32(os.path.basename(path).encode()) % 100 < 15


def detector_boxes(model, canvases, classes, conf=0.05, max_det=10):
    """Per image, per class id: (boxes [n,4] in input pixels, scores [n]) after NMS, as the runtime would see them."""
    x = torch.from_numpy(np.stack([to_tensor_np(c) for c in canvases]))
    with torch.no_grad():
        out = model(x)
    boxes, obj, cls = decode(out, SIZE, SIZE)
    res = []
    for i in range(len(canvases)):
        per = {}
        for c in classes:
            s = obj[i] * cls[i, :, c]
            keep = torch.nonzero(s >= conf).flatten()
            b, sc = boxes[i][keep], s[keep]
            k = torchvision.ops.nms(b, sc, 0.45)[:max_det]
            per[c] = (b[k].numpy(), sc[k].numpy())
        res.append(per)
    return res


def iou(a, b):
    """a [n,4], b [m,4] -> [n,m]"""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-9)


def warm_patches(canvas, cw, ch, rng, n):
    """Boxes centred on saturated red/orange/yellow pixels — the look-alikes a flame must be told from."""
    hsv = cv2.cvtColor(canvas[:ch, :cw], cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    ys, xs = np.nonzero(((hue < 35) | (hue > 165)) & (sat > 90) & (val > 110))
    out = []
    if len(xs) < 30:
        return out
    for _ in range(n):
        i = rng.integers(len(xs))
        s = rng.uniform(10, 90)
        ar = rng.uniform(0.6, 1.7)
        w, h = s * np.sqrt(ar), s / np.sqrt(ar)
        out.append((xs[i] - w / 2, ys[i] - h / 2, xs[i] + w / 2, ys[i] + h / 2))
    return out


def jitter(box, rng):
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2 + rng.uniform(-0.1, 0.1) * w, (y1 + y2) / 2 + rng.uniform(-0.1, 0.1) * h
    sw, sh = w * rng.uniform(0.8, 1.25), h * rng.uniform(0.8, 1.25)
    return cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--jitters", type=int, default=2, help="jittered copies per labelled box")
    ap.add_argument("--warm", type=int, default=4, help="warm-coloured patches per fire-free image (fire negatives)")
    ap.add_argument("--classes", default=",".join(CHECKED), help="which checked classes to cut crops for")
    args = ap.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    model, _ = load_student(args.ckpt, NUM_CLASSES)
    class_ids = [NAMES.index(n) for n in CHECKED]
    wanted = set(args.classes.split(","))
    fog = read_fog_list(FOG_LIST)

    items = [(ds, p) for ds in SETS for p in list_split(ds, "train")]
    crops, columns, labels, kinds, hold, scores = [], [], [], [], [], []

    def add(c, column, label, kind, path, score=0.0):
        if c is not None and CHECKED[column] in wanted:
            crops.append(c)
            columns.append(column)
            labels.append(label)
            kinds.append(f"{CHECKED[column]}/{kind}")
            hold.append(held_out(path))
            scores.append(score)

    def positives(canvas, cw, ch, column, gt, det, path):
        for b in gt:
            add(crop_box(canvas, cw, ch, *b), column, 1, "label", path)
            for _ in range(args.jitters):
                add(crop_box(canvas, cw, ch, *jitter(b, rng)), column, 1, "label-jitter", path)
        db, sc = det
        for b, s, o in zip(db, sc, iou(db, gt).max(1) if len(db) and len(gt) else np.zeros(len(db))):
            if o >= 0.5:
                add(crop_box(canvas, cw, ch, *b), column, 1, "det-match", path, float(s))

    def false_boxes(canvas, cw, ch, column, away_from, det, path, min_score=0.05):
        db, sc = det
        near = iou(db, away_from).max(1) if len(db) and len(away_from) else np.zeros(len(db))
        for b, s, o in zip(db, sc, near):
            if o < 0.3 and s >= min_score:
                add(crop_box(canvas, cw, ch, *b), column, 0, "det-false", path, float(s))

    t0 = time.time()
    for start in range(0, len(items), args.batch):
        chunk = items[start:start + args.batch]
        imgs = [cv2.imread(p) for _, p in chunk]
        boxed = [letterbox(im) for im in imgs]
        dets = detector_boxes(model, [c for c, _ in boxed], class_ids)
        for (ds, p), im, (canvas, r), det in zip(chunk, imgs, boxed, dets):
            ch, cw = int(round(im.shape[0] * r)), int(round(im.shape[1] * r))
            lab = read_labels(p, ds)
            px = lambda c: lab[lab[:, 0] == c, 1:] * np.array([cw, ch, cw, ch], np.float32)
            burning = len(lab) and np.isin(lab[:, 0], (FIRE, SMOKE)).any()
            # fire (column 0)
            if len(px(FIRE)):
                positives(canvas, cw, ch, 0, px(FIRE), det[FIRE], p)
            elif not burning:
                false_boxes(canvas, cw, ch, 0, np.zeros((0, 4), np.float32), det[FIRE], p)
                for b in warm_patches(canvas, cw, ch, rng, args.warm):
                    add(crop_box(canvas, cw, ch, *b), 0, 0, "warm", p)
            # smoke (1)
            seen = fog.get(os.path.splitext(os.path.basename(p))[0]) if ds == "cctv_fire" else None
            if seen == "fog":
                for b in px(SMOKE):
                    add(crop_box(canvas, cw, ch, *b), 1, 0, "fog-label", p)
                    add(crop_box(canvas, cw, ch, *jitter(b, rng)), 1, 0, "fog-label", p)
                false_boxes(canvas, cw, ch, 1, np.zeros((0, 4), np.float32), det[SMOKE], p)
            elif seen is None and ds != "indoor_fire":
                if len(px(SMOKE)):
                    positives(canvas, cw, ch, 1, px(SMOKE), det[SMOKE], p)
                elif not burning:
                    false_boxes(canvas, cw, ch, 1, np.zeros((0, 4), np.float32), det[SMOKE], p)
            # overflow (2) and garbage (3): only where garbage, bins and overflow are labelled
            if ds == "garbage":
                positives(canvas, cw, ch, 2, px(OVERFLOW), det[OVERFLOW], p)
                false_boxes(canvas, cw, ch, 2, px(OVERFLOW), det[OVERFLOW], p)
                for b in px(BIN):
                    add(crop_box(canvas, cw, ch, *b), 2, 0, "bin-label", p)
                    add(crop_box(canvas, cw, ch, *jitter(b, rng)), 2, 0, "bin-label", p)
                positives(canvas, cw, ch, 3, px(GARBAGE), det[GARBAGE], p)
                false_boxes(canvas, cw, ch, 3, np.concatenate([px(GARBAGE), px(OVERFLOW)]), det[GARBAGE], p)
            elif ds == "cctv_fire" and not len(lab):
                false_boxes(canvas, cw, ch, 3, np.zeros((0, 4), np.float32), det[GARBAGE], p)
        if (start // args.batch) % 40 == 0:
            print(f"{start + len(chunk)}/{len(items)} images, {len(crops)} crops, {time.time() - t0:.0f}s", flush=True)

    kinds_arr = np.array(kinds)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, crops=np.stack(crops), columns=np.array(columns, np.uint8),
                        labels=np.array(labels, np.uint8), kinds=kinds_arr, held_out=np.array(hold),
                        scores=np.array(scores, np.float32), checked=np.array(CHECKED))
    summary = {k: int((kinds_arr == k).sum()) for k in sorted(set(kinds))}
    print(f"wrote {len(crops)} crops to {args.out} {summary} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
