"""Stage 4: export a checkpoint's EMA weights to ONNX + manifest and check ONNX == PyTorch.

  /usr/bin/python3 export.py --ckpt runs/main/best.pt [--eval-json runs/main/eval_best.json] [--version 0.1.0]

Writes models/patrol-det.onnx (opset 11, input `images` [N,3,416,416] with a dynamic batch axis, output `output`
[N,3549,5+C] in the teacher's YOLOX format) and models/patrol-det.json (the manifest of src/detect/manifest.ts).
The ONNX is run through onnxruntime-node (the production runtime) on fixed inputs (valid images + a seeded random
tensor, batch 3) and compared with PyTorch: decoded boxes within 1 px and scores within 1e-3, else exit 1.
Per-class thresholds (thresholds.py): the F1-optimal score on the valid splits from --eval-json — for alarm classes
(those with a violation) raised to the lowest score with precision >= 0.7 where that keeps recall >= 0.3 — clamped to
[0.25, 0.7]; a class with under 20 validation boxes takes the same rule from --pooled-eval-json (train+valid) where
that holds 20, else 0.35, as does every class without an evaluation. Without --eval-json, a best.pt's own in-training
evaluation is used.
"""
import argparse
import hashlib
import json
import os
import sys
import numpy as np
import cv2
import torch
from common import (CLASSES, NUM_CLASSES, REPO, HERE, SIZE, list_split, letterbox, to_tensor_np,
                    run_onnx_node, write_manifest)
from yolox import decode, load_student
import onnx
from fold_focus import fold_focus
from thresholds import thresholds

ap = argparse.ArgumentParser()
ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "main", "best.pt"))
ap.add_argument("--out", default=os.path.join(REPO, "models", "patrol-det.onnx"))
ap.add_argument("--eval-json", help="evaluate.py --json output, for per-class thresholds and the provenance note")
ap.add_argument("--pooled-eval-json", help="evaluate.py --split train+valid --json: thresholds of the classes the valid "
                                          "splits hold too few boxes of (thresholds.py)")
ap.add_argument("--version", default="0.1.0")
ap.add_argument("--opset", type=int, default=11)
ap.add_argument("--size", type=int, default=SIZE, help="input side the model is exported and checked at (the manifest's)")
ap.add_argument("--trained", help="how the weights were trained, for the manifest's provenance (default: the checkpoint's "
                                  "epoch count on the garbage + forest_fire train splits)")
args = ap.parse_args()
torch.set_num_threads(2)

model, ck = load_student(args.ckpt, NUM_CLASSES)

tmp = args.out + ".tmp"
torch.onnx.export(model, torch.zeros(1, 3, args.size, args.size), tmp, opset_version=args.opset, input_names=["images"],
                  output_names=["output"], dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}},
                  do_constant_folding=True)
# the Focus stem as one 6x6 stride-2 conv: the same function, ~1 CPU-ms less per frame (fold_focus.py)
exported = onnx.load(tmp)
if fold_focus(exported):
    onnx.save(exported, tmp)
os.replace(tmp, args.out)

# ---- check ONNX (onnxruntime-node) against PyTorch on fixed inputs
xs = []
for ds in ("garbage", "forest_fire"):
    imgs = list_split(ds, "valid")
    if imgs:
        xs.append(to_tensor_np(letterbox(cv2.imread(imgs[0]), args.size)[0]))
xs.append(np.random.default_rng(0).uniform(0, 255, (3, args.size, args.size)).astype(np.float32))
x = np.stack(xs)
ref = model(torch.from_numpy(x)).detach()
got = torch.from_numpy(run_onnx_node(args.out, x, threads=2))
assert got.shape == ref.shape, (got.shape, ref.shape)
b_ref, _, _ = decode(ref, args.size, args.size)
b_got, _, _ = decode(got, args.size, args.size)
live = ref[..., 4] * ref[..., 5:].max(-1).values > 1e-3  # boxes that can survive a score threshold
box_diff = float((b_ref - b_got).abs()[live].max()) if live.any() else 0.0
score_diff = float((ref[..., 4:] - got[..., 4:]).abs().max())
ok = box_diff <= 1.0 and score_diff <= 1e-3
check = (f"ONNX (onnxruntime-node) vs PyTorch on {x.shape[0]} fixed inputs: max box diff {box_diff:.2e} px over "
         f"{int(live.sum())} live anchors, max score diff {score_diff:.2e} -> {'PASS' if ok else 'FAIL'}")
print(check)

# ---- manifest
ev_note = ""
ev = None
if args.eval_json and os.path.exists(args.eval_json):
    ev = json.load(open(args.eval_json))
elif ck.get("eval"):  # best.pt carries the in-training evaluation of exactly these weights
    from evaluate import summary
    ev = {"classes": ck["eval"], "summary": summary(ck["eval"])}
pooled = json.load(open(args.pooled_eval_json))["classes"] if args.pooled_eval_json else None
thr = {n: t for n, (t, _) in thresholds(ev["classes"] if ev else {}, pooled).items()}
if ev:
    s = ev["summary"]
    ev_note = (f" Valid-split mAP50 (evaluate.py, 101-pt): own classes {s['map50_own']:.3f}, retained COCO classes vs "
               f"teacher pseudo-labels {s['map50_coco']:.3f}.")
sha = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
epoch = ck.get("epoch")
manifest = {
    "name": "patrol-det",
    "version": args.version,
    "file": os.path.basename(args.out),
    "sha256": sha,
    "input": {"name": "images", "width": args.size, "height": args.size, "layout": "NCHW", "channelOrder": "BGR", "scale": 1,
              "mean": [0, 0, 0], "std": [1, 1, 1], "padValue": 114, "batch": "dynamic"},
    "output": {"name": "output", "format": "yolox", "strides": [8, 16, 32], "sigmoid": True},
    "classes": [dict({"name": n}, **({"violation": v} if v else {}), threshold=thr[n]) for n, v, _ in CLASSES],
    "nmsIou": 0.45,
    # The garbage dataset labels a bin as garbage_bin *or* overflow (3 of 2,839 overflow boxes overlap a bin box
    # at IoU > 0.5), so the two compete in NMS instead of both surviving on one bin.
    "exclusiveClasses": [["garbage_bin", "overflow"]],
    "license": "Apache-2.0 (weights: Patrol project, fine-tuned from YOLOX-nano by Megvii, Apache-2.0; "
               "training data CC BY 4.0, see models/README.md)",
    "provenance": (f"YOLOX-nano (Megvii, Apache-2.0) re-implemented in models/train/yolox.py, initialized from the "
                   f"COCO ONNX initializers, {args.trained or f'fine-tuned {epoch} epochs with SimOTA on the garbage + forest_fire train splits (CC BY 4.0)'}"
                   f" plus teacher pseudo-labels for the retained COCO classes; EMA weights from "
                   f"{os.path.relpath(args.ckpt, REPO)}.{ev_note} {check}."),
}
mpath = os.path.splitext(args.out)[0] + ".json"
write_manifest(mpath, manifest)
print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB, sha256 {sha[:12]}…) and {mpath}")
sys.exit(0 if ok else 1)
