"""Stage 5 (an experiment, not shipped): an int8 copy of an exported detector, static QDQ quantization calibrated on
*train* images. Measured and why it is not shipped: models/README.md, "Session 7".

  /usr/bin/python3 quantize.py [--onnx ../patrol-det.onnx] [--out ../patrol-det.int8.onnx] [--calib 128]
      [--range 99.9|minmax] [--silu-floor 6] [--float-head] [--convs-only] [--stats FILE.npy]

Why: inference is most of a held-open camera's CPU; onnxruntime's MLAS runs QLinearConv with the CPU's integer
dot-product instructions. onnxruntime's own quantizer is a pip package that is not installed here, so this builds the
same QDQ form with `onnx`: every activation tensor of the backbone and neck (conv inputs and outputs, SiLU's Sigmoid
and Mul, Concat, Add, MaxPool, Resize) gets a QuantizeLinear → DequantizeLinear pair (uint8, per tensor), each conv
int8 per-channel symmetric weights and an int32 bias (scale = input scale × weight scale); onnxruntime fuses the
pairs into QLinearConv / QLinearSigmoid / QLinearMul / QLinearConcat when it loads the model. The Focus stem becomes
SpaceToDepth (fold_focus.py), so the pixels stay exact uint8 (scale 1) until the first conv.

Activation ranges come from onnxruntime-node (the production runtime, calib.cjs) on `--calib` train images (never a
valid split: those judge the result): per tensor and batch of 8, 1025 quantiles of a sample of its values; the range
is the mean over batches of the `--range` percentile pair (or min–max), widened to include 0, and for a tensor read
only by a SiLU its bottom is cut at −`--silu-floor`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from common import DATA, HERE, REPO, SIZE, letterbox, list_split, to_tensor_np
from fold_focus import fold_focus

ap = argparse.ArgumentParser()
ap.add_argument("--onnx", default=os.path.join(REPO, "models", "patrol-det.onnx"))
ap.add_argument("--out", default=os.path.join(REPO, "models", "patrol-det.int8.onnx"))
ap.add_argument("--calib", type=int, default=128, help="calibration images, spread over the train splits")
ap.add_argument("--range", default="99.9", help="activation ranges: minmax, or a percentile such as 99.9")
ap.add_argument("--silu-floor", type=float, default=6.0, help="for a tensor read only by a SiLU, the range's "
                "bottom is at least −F (SiLU(−F) ≈ 0 for F ≥ 8); 0: off")
ap.add_argument("--float-head", action="store_true", help="keep the last 1×1 prediction convs in float")
ap.add_argument("--convs-only", action="store_true", help="quantize only conv inputs/outputs (SiLU, Concat, Add in float)")
ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (±63): no int16 saturation in u8×s8 pairs on AVX2")
ap.add_argument("--stats", help="calibration summary (.npy): read if it exists, else written (same model and images)")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

CALIB = os.path.join(HERE, "calib.cjs")
QN = 1025  # quantiles per tensor per batch in a calibration summary


def load_float():
    m = onnx.load(args.onnx)
    fold_focus(m, "s2d")  # SpaceToDepth moves uint8 bytes; the float Slices would stay float
    return m


def consumers_of(graph):
    out = {}
    for n in graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def is_head_pred(graph, conv, consumers):
    """A head prediction conv: 1×1 whose output goes to Sigmoid/Concat without a SiLU Mul after it."""
    w = next(i for i in graph.initializer if i.name == conv.input[1])
    if list(w.dims[2:]) != [1, 1]:
        return False
    outs = consumers.get(conv.output[0], [])
    return all(c.op_type in ("Concat", "Sigmoid") for c in outs) and not any(
        c.op_type == "Mul" for o in outs for c in consumers.get(o.output[0], []))


def plan(graph):
    """-> (names of the convs to quantize, activation tensors to quantize in graph order)."""
    consumers = consumers_of(graph)
    preds = [n for n in graph.node if n.op_type == "Conv" and is_head_pred(graph, n, consumers)]
    convs = [n for n in graph.node if n.op_type == "Conv" and not (args.float_head and n in preds)]
    tensors = [graph.input[0].name]  # pixels: exact in uint8
    for c in convs:
        for t in (c.input[0], c.output[0]):
            if t not in tensors:
                tensors.append(t)
    if not args.convs_only:
        # the tensors between convs too (SiLU's Sigmoid and Mul, residual Add, CSP Concat, SPP MaxPool, upsampling),
        # so the backbone and neck stay uint8 end to end; not what follows a prediction conv (box decoding)
        after_pred, frontier = set(), [p.output[0] for p in preds]
        while frontier:
            t = frontier.pop()
            if t not in after_pred:
                after_pred.add(t)
                frontier += [o for c in consumers.get(t, []) for o in c.output]
        data = {graph.input[0].name}
        for n in graph.node:
            if n.op_type in ("Shape", "Constant") or not any(i in data for i in n.input):
                continue
            for o in n.output:
                data.add(o)
                if n.op_type in ("Sigmoid", "Mul", "Add", "Concat", "MaxPool", "Resize", "SpaceToDepth") \
                        and o not in after_pred and o not in tensors:
                    tensors.append(o)
    return [c.name for c in convs], tensors


def images(n, seed):
    rng = np.random.default_rng(seed)
    pool = [p for ds in ("garbage", "forest_fire", "cctv_fire", "indoor_fire") for p in list_split(ds, "train")]
    if not pool:
        sys.exit(f"no train images under {DATA}: ../shared is needed to calibrate")
    pick = sorted(rng.choice(len(pool), size=min(n, len(pool)), replace=False))
    return np.stack([to_tensor_np(letterbox(cv2.imread(pool[i]))[0]) for i in pick]).astype(np.float32)


def with_outputs(model, names):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    known = {o.name for o in m.graph.output}
    m.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in names if t not in known)
    return m


def node_run(*argv):
    subprocess.run(["node", CALIB, *argv], cwd=REPO, check=True)


def summarize(model, tensors, x):
    """Per tensor: the calibration summary, float32 [batches × QN] (sorted within each batch)."""
    with tempfile.TemporaryDirectory() as td:
        onnx.save(with_outputs(model, tensors), os.path.join(td, "probe.onnx"))
        x.tofile(os.path.join(td, "x.bin"))
        json.dump(tensors, open(os.path.join(td, "names.json"), "w"))
        print(f"calibrating {len(tensors)} tensors on {len(x)} train images", flush=True)
        node_run("summary", os.path.join(td, "probe.onnx"), os.path.join(td, "x.bin"), str(len(x)),
                 os.path.join(td, "names.json"), os.path.join(td, "out.bin"))
        raw = np.fromfile(os.path.join(td, "out.bin"), np.float32)
    return {t: v for t, v in zip(tensors, raw.reshape(len(tensors), -1, QN))}


def silu_inputs(graph):
    """The tensors read only by a SiLU (Sigmoid(t) and Mul(t, Sigmoid(t))), which flattens everything below ≈ −6 to
    0: a long negative tail need not be kept in their ranges."""
    out = set()
    for t, cons in consumers_of(graph).items():
        sig = [c for c in cons if c.op_type == "Sigmoid"]
        if len(cons) == 2 and len(sig) == 1 and any(c.op_type == "Mul" and sig[0].output[0] in c.input for c in cons):
            out.add(t)
    return out


def act_range(v):
    """(lo, hi) for a calibration summary: minmax, or the mean over batches of the percentile pair."""
    if args.range == "minmax":
        return min(0.0, float(v[:, 0].min())), max(0.0, float(v[:, -1].max()))
    k = int(round((1 - float(args.range) / 100) * (QN - 1)))
    return min(0.0, float(v[:, k].mean())), max(0.0, float(v[:, QN - 1 - k].mean()))


def build(ranges):
    """The QDQ model for these activation ranges."""
    model = load_float()
    graph = model.graph
    conv_names, tensors = plan(graph)
    inits = {i.name: i for i in graph.initializer}
    convs = [n for n in graph.node if n.name in set(conv_names)]
    image = graph.input[0].name
    pixels = {image} | {n.output[0] for n in graph.node if n.op_type == "SpaceToDepth" and n.input[0] == image}
    new_inits, qdq, scale_of = [], {}, {}
    for t in tensors:
        if t in pixels:
            s, z = np.float32(1.0), np.uint8(0)  # the integers 0..255 (manifest scale 1, mean 0): exact
        else:
            lo, hi = ranges[t]
            s = np.float32(max((hi - lo) / 255.0, 1e-8))
            z = np.uint8(np.clip(round(-lo / s), 0, 255))
        scale_of[t] = s
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), f"{t}_qscale"),
                      numpy_helper.from_array(np.array(z, np.uint8), f"{t}_qzp")]
        qdq[t] = [helper.make_node("QuantizeLinear", [t, f"{t}_qscale", f"{t}_qzp"], [f"{t}_q"], name=f"{t}_Q"),
                  helper.make_node("DequantizeLinear", [f"{t}_q", f"{t}_qscale", f"{t}_qzp"], [f"{t}_dq"], name=f"{t}_DQ")]
    for n in graph.node:  # every consumer reads the DQ output (the Q nodes, not yet in the graph, read the original)
        for k, i in enumerate(n.input):
            if i in qdq:
                n.input[k] = f"{i}_dq"
    if any(o.name in qdq for o in graph.output):
        raise SystemExit("a graph output would be quantized; not expected in a YOLOX export")
    weight_dqs = []
    for c in convs:
        w = numpy_helper.to_array(inits[c.input[1]]).astype(np.float32)
        wmax = 63 if args.reduce_range else 127
        ws = (np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1), 1e-8) / wmax).astype(np.float32)
        wq = np.clip(np.round(w / ws[:, None, None, None]), -wmax, wmax).astype(np.int8)
        base = c.input[1]
        new_inits += [numpy_helper.from_array(wq, f"{base}_q"), numpy_helper.from_array(ws, f"{base}_wscale"),
                      numpy_helper.from_array(np.zeros(len(ws), np.int8), f"{base}_wzp")]
        weight_dqs.append(helper.make_node("DequantizeLinear", [f"{base}_q", f"{base}_wscale", f"{base}_wzp"],
                                           [f"{base}_wdq"], name=f"{base}_WDQ", axis=0))
        c.input[1] = f"{base}_wdq"
        b = numpy_helper.to_array(inits[c.input[2]]).astype(np.float32) if len(c.input) > 2 and c.input[2] \
            else np.zeros(len(ws), np.float32)
        src = c.input[0][: -len("_dq")]
        bs = (scale_of[src] * ws).astype(np.float32)
        bb = f"{c.output[0]}_bias"
        new_inits += [numpy_helper.from_array(np.round(b / bs).astype(np.int32), f"{bb}_q"),
                      numpy_helper.from_array(bs, f"{bb}_bscale"),
                      numpy_helper.from_array(np.zeros(len(ws), np.int32), f"{bb}_bzp")]
        weight_dqs.append(helper.make_node("DequantizeLinear", [f"{bb}_q", f"{bb}_bscale", f"{bb}_bzp"], [f"{bb}_dq"],
                                           name=f"{bb}_DQ", axis=0))
        if len(c.input) > 2:
            c.input[2] = f"{bb}_dq"
        else:
            c.input.append(f"{bb}_dq")
    # topological order: weight DQs first, then each tensor's Q/DQ right after its producer
    after = {}
    for t, nodes in qdq.items():
        after.setdefault(t, []).extend(nodes)
    ordered = weight_dqs + after.pop(image, [])
    for n in list(graph.node):
        ordered.append(n)
        for o in n.output:
            ordered += after.pop(o, [])
    assert not after, list(after)
    del graph.node[:]
    graph.node.extend(ordered)
    used = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep + new_inits)
    for o in model.opset_import:  # per-channel DequantizeLinear (axis) needs opset 13; the export's ops mean the same
        if o.domain in ("", "ai.onnx"):
            o.version = max(o.version, 13)
    onnx.checker.check_model(model)
    return model


fp = load_float()
conv_names, tensors = plan(fp.graph)
print(f"{len(conv_names)} convs, {len(tensors)} activation tensors", flush=True)
x = images(args.calib, args.seed)
summary = None
if args.stats and os.path.exists(args.stats):
    data = np.load(args.stats, allow_pickle=True).item()
    if all(t in data for t in tensors):
        summary = data
        print(f"calibration summary from {args.stats}")
if summary is None:
    summary = summarize(fp, tensors, x)
    if args.stats:
        np.save(args.stats, summary, allow_pickle=True)
ranges = {t: act_range(summary[t]) for t in tensors}
if args.silu_floor > 0:
    floored = silu_inputs(fp.graph)
    ranges = {t: (max(lo, -args.silu_floor), hi) if t in floored else (lo, hi) for t, (lo, hi) in ranges.items()}

model = build(ranges)
onnx.save(model, args.out)
print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB; fp32 {os.path.getsize(args.onnx) / 1e6:.2f} MB)")
