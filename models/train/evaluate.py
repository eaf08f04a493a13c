"""Evaluation: per-class AP50 (and AP50:95) on the valid splits (garbage, forest_fire, cctv_fire, indoor_fire valid,
small_fire_smoke/test). Ground truth = human labels for garbage/overflow/garbage_bin/fire/smoke, and the
teacher's cached pseudo-labels (score >= 0.35) for the retained COCO classes.

Usage: /usr/bin/python3 evaluate.py --ckpt runs/main/best.pt [--teacher] [--json out.json]
       /usr/bin/python3 evaluate.py --onnx ../patrol-det.onnx     (runs the ONNX through onnxruntime-node)
"""
import argparse
import json
import sys
import time
import numpy as np
import torch
import torchvision
from common import UNLABELLED, dataset_of, list_split, NAMES, NUM_CLASSES, N_OWN, CLASS_MAP, TEACHER, SIZE, letterbox, to_tensor_np, run_onnx_node
from yolox import decode

VALID_SETS = [("garbage", "valid"), ("forest_fire", "valid"), ("small_fire_smoke", "test"), ("cctv_fire", "valid"),
              ("indoor_fire", "valid")]


def load_valid(sets=None, split=None):
    """sets: dataset names to keep (default: all of VALID_SETS); split: another split than each set's valid one
    (`train`: how well the model fits what it learned from, to tell a label convention from a generalization gap),
    or several joined by `+` (`train+valid`: more boxes for classes the valid splits hold too few of)."""
    from data import load_split
    items = []
    for ds, valid in VALID_SETS:
        if sets and ds not in sets:
            continue
        for part in (split or "valid").split("+"):
            part = valid if part == "valid" else part
            if part != valid and not list_split(ds, part):
                continue  # small_fire_smoke has a test split only
            items += load_split([ds], part)
    return items


def scale_boxes(preds, factor):
    """Every predicted box grown (or shrunk) by `factor` about its centre: does AP50 move when the boxes are, say,
    5 % larger? If it rises on one data set and falls on another, the gap is how each set draws its boxes."""
    out = []
    for det in preds:
        det = det.copy()
        c = (det[:, :2] + det[:, 2:4]) / 2
        h = (det[:, 2:4] - det[:, :2]) / 2 * factor
        det[:, :2], det[:, 2:4] = c - h, c + h
        out.append(det)
    return out


def postprocess(out, size=SIZE, conf=0.001, nms=0.45, max_det=300):
    """teacher-format output [N,A,5+C] -> list of [n,6] (x1,y1,x2,y2,score,cls) in input pixels"""
    boxes, obj, cls = decode(out, size, size)
    res = []
    for i in range(out.shape[0]):
        sc = obj[i, :, None] * cls[i]
        a, k = torch.nonzero(sc >= conf, as_tuple=True)
        s = sc[a, k]
        if len(s) > 5000:
            top = torch.topk(s, 5000).indices
            a, k, s = a[top], k[top], s[top]
        b = boxes[i][a]
        keep = torchvision.ops.batched_nms(b, s, k, nms)[:max_det]
        res.append(torch.cat([b[keep], s[keep, None], k[keep, None].float()], 1).numpy())
    return res


def predict(forward, items, batch=8, size=SIZE):
    """forward: function float32 numpy [B,3,S,S] -> teacher-format numpy/tensor output."""
    preds = []
    for i in range(0, len(items), batch):
        xs, rs = [], []
        for _, im, _ in items[i:i + batch]:
            c, r = letterbox(im, size)
            xs.append(to_tensor_np(c))
            rs.append(r)
        out = forward(np.stack(xs))
        out = torch.as_tensor(out)
        for det, r in zip(postprocess(out, size), rs):
            det[:, :4] /= r
            preds.append(det)
    return preds


def ap_voc(rec, prec):
    """COCO-style 101-point interpolated AP (precision envelope sampled at recall 0, 0.01, ..., 1)."""
    if len(rec) == 0:
        return 0.0
    env = np.flip(np.maximum.accumulate(np.flip(prec)))
    idx = np.searchsorted(rec, np.linspace(0, 1, 101), side="left")
    q = np.where(idx < len(env), env[np.minimum(idx, len(env) - 1)], 0.0)
    return float(np.mean(q))


def iou_matrix(a, b):
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:4], b[None, :, 2:4])
    inter = np.clip(br - tl, 0, None).prod(-1)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + ab[None] - inter + 1e-9)


def evaluate(preds, items, classes=range(NUM_CLASSES), iou_thrs=np.arange(0.5, 0.96, 0.05)):
    """-> {class name: {ap50, ap5095, n_gt}}"""
    out = {}
    for c in classes:
        scores, tps, n_gt = [], [], 0
        for det, (path, _, lab) in zip(preds, items):
            if c in UNLABELLED.get(dataset_of(path), ()):
                continue  # e.g. smoke on indoor_fire: present, never labelled, so neither a hit nor a false alarm
            g = lab[lab[:, 0] == c][:, 1:5]
            d = det[det[:, 5] == c]
            d = d[np.argsort(-d[:, 4])]
            n_gt += len(g)
            tp = np.zeros((len(d), len(iou_thrs)), bool)
            if len(d) and len(g):
                ious = iou_matrix(d[:, :4], g)
                for t, thr in enumerate(iou_thrs):
                    used = np.zeros(len(g), bool)
                    for j in range(len(d)):
                        cand = np.where((ious[j] >= thr) & ~used)[0]
                        if len(cand):
                            m = cand[np.argmax(ious[j, cand])]
                            used[m] = True
                            tp[j, t] = True
            scores.append(d[:, 4])
            tps.append(tp)
        if n_gt == 0:
            continue
        s = np.concatenate(scores)
        tp = np.concatenate(tps)
        order = np.argsort(-s)
        tp = tp[order]
        aps = []
        for t in range(len(iou_thrs)):
            ctp = np.cumsum(tp[:, t])
            cfp = np.cumsum(~tp[:, t])
            rec = ctp / n_gt
            prec = ctp / np.maximum(ctp + cfp, 1e-9)
            aps.append(ap_voc(rec, prec) if len(s) else 0.0)
        ctp = np.cumsum(tp[:, 0])
        f1 = 2 * ctp / (np.arange(1, len(s) + 1) + n_gt)
        j = int(np.argmax(f1)) if len(s) else 0
        # The lowest score whose cut still has precision >= P: alarm classes may operate there (export.py).
        prec = ctp / np.arange(1, len(s) + 1)
        at_p = {}
        for p in (70, 80):
            ok = np.nonzero(prec >= p / 100)[0]
            if len(ok):
                at_p.update({f"p{p}_thr": float(s[order][ok[-1]]), f"r_at_p{p}": float(ctp[ok[-1]] / n_gt)})
        out[NAMES[c]] = {**at_p, "ap50": aps[0], "ap5095": float(np.mean(aps)), "n_gt": n_gt,
                         "f1_thr": float(s[order][j]) if len(s) else 0.35, "f1": float(f1[j]) if len(s) else 0.0,
                         "p_at_f1": float(ctp[j] / (j + 1)) if len(s) else 0.0,
                         "r_at_f1": float(ctp[j] / n_gt) if len(s) else 0.0}
    return out


def summary(res):
    own = [v["ap50"] for k, v in res.items() if NAMES.index(k) < N_OWN]
    coco = [v["ap50"] for k, v in res.items() if NAMES.index(k) >= N_OWN]
    return {"map50_own": float(np.mean(own)) if own else 0.0, "map50_coco": float(np.mean(coco)) if coco else 0.0,
            "map50_all": float(np.mean(own + coco)) if own + coco else 0.0}


def table(res):
    lines = ["| class | AP50 | AP50:95 | GT boxes | best-F1 thr | P | R |", "|---|---|---|---|---|---|---|"]
    for k, v in res.items():
        lines.append(f"| {k} | {v['ap50']:.3f} | {v['ap5095']:.3f} | {v['n_gt']} | {v['f1_thr']:.2f} | "
                     f"{v['p_at_f1']:.2f} | {v['r_at_f1']:.2f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", help="training checkpoint (uses its EMA weights)")
    ap.add_argument("--onnx", help="evaluate an exported ONNX through onnxruntime-node")
    ap.add_argument("--teacher", action="store_true", help="evaluate the COCO teacher on the retained classes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=SIZE, help="input side (letterbox) the model runs at")
    ap.add_argument("--json")
    ap.add_argument("--limit", type=int, default=0, help="evaluate every k-th image only (quick checks)")
    ap.add_argument("--sets", help="comma-separated datasets of VALID_SETS to evaluate on (default: all)")
    ap.add_argument("--split", help="evaluate on this split instead of each set's valid one (train), or on several (train+valid)")
    ap.add_argument("--box-scale", type=float, default=1.0,
                    help="grow every predicted box by this factor about its centre before matching (a diagnostic)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    items = load_valid(args.sets.split(",") if args.sets else None, args.split)
    if args.limit:
        items = items[::args.limit]
    t0 = time.time()
    if args.teacher:
        from yolox import load_teacher
        m = load_teacher(TEACHER, NUM_CLASSES, CLASS_MAP).eval()  # COCO rows only; own classes are untrained
        fwd = lambda x: m(torch.from_numpy(x)).detach()
        classes = range(N_OWN, NUM_CLASSES)
    elif args.onnx:
        fwd = lambda x: run_onnx_node(args.onnx, x, threads=args.threads)
        classes = range(NUM_CLASSES)
    else:
        from yolox import load_student
        m, _ = load_student(args.ckpt, NUM_CLASSES)
        fwd = lambda x: m(torch.from_numpy(x)).detach()
        classes = range(NUM_CLASSES)
    with torch.no_grad():
        preds = predict(fwd, items, batch=8, size=args.size)
    if args.box_scale != 1.0:
        preds = scale_boxes(preds, args.box_scale)
    res = evaluate(preds, items, classes)
    print(table(res))
    print(json.dumps(summary(res)), f"({len(items)} images, {time.time() - t0:.0f}s)")
    if args.json:
        json.dump({"classes": res, "summary": summary(res)}, open(args.json, "w"), indent=2)


if __name__ == "__main__":
    sys.exit(main())
