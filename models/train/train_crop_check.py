"""The crop check: a small CNN that looks again at each box the detector calls fire, overflow or garbage (a 64²
crop, `check_crops.py`) and says whether the class is really there, one output column per class. The detector
runs over the whole picture at 416² and mistakes red and orange things (bins, signs, flowers, watermarks, lamps)
for fire and bin liners for overflow; a second look at the box alone, trained on exactly those mistakes, is far
cheaper than teaching the whole detector again.

  /usr/bin/python3 train_crop_check.py --crops cache/check_crops.npz --run runs/crop_check \
      --export ../patrol-crop-check.onnx --manifest ../patrol-det.json

Each column's threshold is chosen on the held-out 15 % of the train images (`--recall`: the share of their
positive crops that must pass), never on a valid split. Checkpoint every epoch (`RUN/last.pt`); `--resume`
continues it.
"""
import argparse
import hashlib
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import cv2


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CropCheck(nn.Module):
    """[N,3,64,64] BGR 0–255 (as the runtime cuts it) -> [N,K] probability that the crop shows checked class k."""

    def __init__(self, k):
        super().__init__()
        self.body = nn.Sequential(block(3, 16), block(16, 32), block(32, 64), block(64, 96))
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(96, k))

    def logits(self, x):
        return self.head(self.body(x / 255.0).mean((2, 3)))

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def compress(crops, rng, share=0.3):
    """JPEG at low quality on a share of the crops: cameras send H.264 at a few hundred kbit/s, the train
    photos are clean JPEGs."""
    out = crops.copy()
    for i in np.nonzero(rng.random(len(crops)) < share)[0]:
        ok, buf = cv2.imencode(".jpg", crops[i], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 60))])
        if ok:
            out[i] = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def augment(x, rng):
    """Flip, a slightly different box (crop and rescale), low resolution, noise, brightness and contrast — never
    hue: colour is the cue."""
    n = x.shape[0]
    flip = torch.from_numpy(rng.random(n) < 0.5)
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    s = int(rng.integers(52, 65))
    ox, oy = int(rng.integers(0, 65 - s)), int(rng.integers(0, 65 - s))
    if s < 64:
        x = F.interpolate(x[:, :, oy:oy + s, ox:ox + s], size=(64, 64), mode="bilinear", align_corners=False)
    if rng.random() < 0.3:  # a distant camera: the flame is a few pixels wide, upscaled
        low = int(rng.integers(16, 48))
        x = F.interpolate(F.interpolate(x, size=(low, low), mode="bilinear", align_corners=False, antialias=True),
                          size=(64, 64), mode="bilinear", align_corners=False)
    if rng.random() < 0.3:
        x = x + torch.randn_like(x) * float(rng.uniform(0, 8))
    gain = torch.from_numpy(rng.uniform(0.75, 1.25, (n, 1, 1, 1)).astype(np.float32))
    mean = x.mean((1, 2, 3), keepdim=True)
    contrast = torch.from_numpy(rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32))
    return ((x - mean) * contrast + mean * gain).clamp(0, 255)


def predict(model, crops, cols, batch=512):
    """Each crop's probability in its own column."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(crops), batch):
            x = torch.from_numpy(crops[i:i + batch]).permute(0, 3, 1, 2).float()
            p = model(x)
            out.append(p[torch.arange(len(x)), torch.from_numpy(cols[i:i + batch].astype(np.int64))].numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def thresholds(p, y, cols, k, recall):
    """Per column: the probability that passes `recall` of its held-out positives."""
    return [float(np.quantile(p[(cols == c) & (y == 1)], 1 - recall)) for c in range(k)]


def auc(p, y):
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / max(1, pos.sum() * (~pos).sum())


def report(p, y, kinds, cols, thr):
    lines = []
    for k in sorted(set(kinds.tolist())):
        m = kinds == k
        passed = (p[m] >= np.array(thr)[cols[m]]).mean() if m.any() else float("nan")
        lines.append(f"{k} {m.sum()}: {'pass' if y[m][0] == 1 else 'false pass'} {passed:.3f}")
    return "; ".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crops", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--recall", type=float, default=0.97, help="share of held-out fire crops the threshold passes")
    ap.add_argument("--classes", help="train only these of the crops' classes (comma-separated), e.g. fire")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--export", help="write the ONNX model here")
    ap.add_argument("--manifest", help="with --export: set this detector manifest's cropCheck to the exported check")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    d = np.load(args.crops)
    crops, y, kinds, hold = d["crops"], d["labels"].astype(np.int64), d["kinds"], d["held_out"]
    cols, checked = d["columns"].astype(np.int64), [str(c) for c in d["checked"]]
    if args.classes:
        keep_names = args.classes.split(",")
        remap = np.array([keep_names.index(n) if n in keep_names else -1 for n in checked])
        keep = remap[cols] >= 0
        crops, y, kinds, hold, cols = crops[keep], y[keep], kinds[keep], hold[keep], remap[cols[keep]]
        checked = keep_names
    k = len(checked)
    tr, va = np.nonzero(~hold)[0], np.nonzero(hold)[0]
    pools = []
    for c in range(k):
        pos, neg = tr[(cols[tr] == c) & (y[tr] == 1)], tr[(cols[tr] == c) & (y[tr] == 0)]
        pools.append((pos, neg))
        print(f"{checked[c]}: train {len(pos)} yes / {len(neg)} no; held out "
              f"{int(((cols[va] == c) & (y[va] == 1)).sum())} / {int(((cols[va] == c) & (y[va] == 0)).sum())}")
    # Per column and epoch: n negatives and n positives, n at least half the positives (a column with few
    # negatives, like smoke with its fog frames, sees them several times rather than its positives rarely).
    draws = [max(len(neg), len(pos) // 2) for pos, neg in pools]
    per_epoch = sum(2 * n for n in draws)

    model = CropCheck(k)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = per_epoch // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * steps_per_epoch)
    os.makedirs(args.run, exist_ok=True)
    last = os.path.join(args.run, "last.pt")
    epoch0 = 0
    if args.resume and os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        epoch0 = ck["epoch"]
        rng = np.random.default_rng(epoch0)
        print(f"resumed {last} after epoch {epoch0}")

    for epoch in range(epoch0, args.epochs):
        model.train()
        t0 = time.time()
        # Balanced epochs: as many positives as negatives per column.
        idx = np.concatenate([np.concatenate([rng.choice(neg, n, replace=n > len(neg)), rng.choice(pos, n, replace=n > len(pos))])
                              for (pos, neg), n in zip(pools, draws)])
        rng.shuffle(idx)
        total = 0.0
        for s in range(steps_per_epoch):
            b = idx[s * args.batch:(s + 1) * args.batch]
            x = augment(torch.from_numpy(compress(crops[b], rng)).permute(0, 3, 1, 2).float(), rng)
            logit = model.logits(x)[torch.arange(len(b)), torch.from_numpy(cols[b])]
            loss = F.binary_cross_entropy_with_logits(logit, torch.from_numpy(y[b]).float())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        p = predict(model, crops[va], cols[va])
        thr = thresholds(p, y[va], cols[va], k, args.recall)
        aucs = [auc(p[cols[va] == c], y[va][cols[va] == c]) for c in range(k)]
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / steps_per_epoch:.4f} held-out AUC "
              f"{' '.join(f'{n} {a:.4f}' for n, a in zip(checked, aucs))}, thresholds {' '.join(f'{t:.3f}' for t in thr)} "
              f"({report(p, y[va], kinds[va], cols[va], thr)}) {time.time() - t0:.0f}s", flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch + 1, "threshold": thr}, last + ".tmp")
        os.replace(last + ".tmp", last)

    if args.export:
        model.eval()
        p = predict(model, crops[va], cols[va])
        thr = thresholds(p, y[va], cols[va], k, args.recall)
        torch.onnx.export(model, torch.zeros(1, 3, 64, 64), args.export, input_names=["crops"], output_names=["yes"],
                          dynamic_axes={"crops": {0: "n"}, "yes": {0: "n"}}, opset_version=13)
        sha = hashlib.sha256(open(args.export, "rb").read()).hexdigest()
        block_ = {"file": os.path.basename(args.export), "sha256": sha, "input": "crops", "output": "yes",
                  "classes": [{"name": n, "threshold": round(t, 4)} for n, t in zip(checked, thr)],
                  "size": 64, "grow": 1.3, "minSide": 12,
                  "heldOut": {"recall": args.recall, "passes": report(p, y[va], kinds[va], cols[va], thr)}}
        with open(os.path.join(args.run, "check.json"), "w") as f:
            json.dump(block_, f, indent=2)
        if args.manifest:
            with open(args.manifest) as f:
                manifest = json.load(f)
            block_.pop("heldOut")
            block_["file"] = os.path.relpath(args.export, os.path.dirname(os.path.abspath(args.manifest)))
            manifest["cropCheck"] = block_
            with open(args.manifest, "w") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
            print(f"{args.manifest}: cropCheck set")
        print(f"exported {args.export} (sha256 {sha[:12]}…), thresholds {thr}")


if __name__ == "__main__":
    main()
