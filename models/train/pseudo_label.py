"""Stage 1: pseudo-label every train/valid image with the teacher (our YOLOXNano loaded with the original
COCO head), keep the retained COCO classes, class-wise NMS 0.45, score (obj*cls) >= --keep.
Writes cache/pseudo/{dataset}_{split}.npz ({relative image path: [n, 6] = cls(ours), x1, y1, x2, y2 (normalized),
score}) and YOLO-format txt files under cache/pseudo_yolo/{dataset}/{split}/labels/ (score >= --thr) for the
TS bench. Usage: /usr/bin/python3 pseudo_label.py [--thr 0.35] [--keep 0.25]"""
import argparse
import os
import time
import numpy as np
import cv2
import torch
import torchvision
from common import TEACHER, CACHE, DATA, DATASETS, CLASSES, CLASS_MAP, N_OWN, list_split, letterbox, to_tensor_np
from yolox import load_teacher, decode

ap = argparse.ArgumentParser()
ap.add_argument("--thr", type=float, default=0.35)
ap.add_argument("--keep", type=float, default=0.25)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)

model = load_teacher(TEACHER).eval()
teacher_ids = torch.tensor([CLASS_MAP[c] for c in range(N_OWN, len(CLASSES))])
out_dir = os.path.join(CACHE, "pseudo")
os.makedirs(out_dir, exist_ok=True)


def postprocess(out, ratios, shapes):
    boxes, obj, cls = decode(out, 416, 416)
    res = []
    for i in range(out.shape[0]):
        sc = obj[i, :, None] * cls[i][:, teacher_ids]  # [A, K]
        a, k = torch.nonzero(sc >= args.keep, as_tuple=True)
        b = boxes[i][a] / ratios[i]
        s = sc[a, k]
        keep = torchvision.ops.batched_nms(b, s, k, 0.45)
        b, s, k = b[keep], s[keep], k[keep]
        h, w = shapes[i]
        b[:, 0::2] = b[:, 0::2].clamp(0, w) / w
        b[:, 1::2] = b[:, 1::2].clamp(0, h) / h
        res.append(np.concatenate([(k + N_OWN).float()[:, None].numpy(), b.numpy(), s[:, None].numpy()], 1)
                   .astype(np.float32))
    return res


for ds, split in [(d, s) for s in ("train", "valid", "test") for d in DATASETS]:
    imgs = list_split(ds, split)
    if not imgs:
        continue
    t0 = time.time()
    result = {}
    ydir = os.path.join(CACHE, "pseudo_yolo", ds, split, "labels")
    os.makedirs(ydir, exist_ok=True)
    for i in range(0, len(imgs), args.batch):
        chunk = imgs[i:i + args.batch]
        xs, rs, shapes = [], [], []
        for p in chunk:
            im = cv2.imread(p)
            c, r = letterbox(im)
            xs.append(to_tensor_np(c)); rs.append(r); shapes.append(im.shape[:2])
        with torch.no_grad():
            out = model(torch.from_numpy(np.stack(xs)))
        for p, det in zip(chunk, postprocess(out, rs, shapes)):
            rel = os.path.relpath(p, DATA)
            result[rel] = det
            with open(os.path.join(ydir, os.path.splitext(os.path.basename(p))[0] + ".txt"), "w") as f:
                for c, x1, y1, x2, y2, s in det:
                    if s >= args.thr:
                        f.write(f"{int(c)} {(x1+x2)/2:.6f} {(y1+y2)/2:.6f} {x2-x1:.6f} {y2-y1:.6f}\n")
    tmp = os.path.join(out_dir, f"{ds}_{split}.tmp.npz")
    np.savez_compressed(tmp, **{k: v for k, v in result.items()})
    os.replace(tmp, os.path.join(out_dir, f"{ds}_{split}.npz"))
    n = sum(int((v[:, 5] >= args.thr).sum()) for v in result.values())
    print(f"{ds}/{split}: {len(imgs)} images, {n} pseudo-boxes >= {args.thr}, {time.time()-t0:.0f}s", flush=True)
with open(os.path.join(CACHE, "pseudo_yolo", "classes.txt"), "w") as f:
    f.write("\n".join(c[0] for c in CLASSES) + "\n")
print("done")
