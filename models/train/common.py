"""Shared paths, class list and preprocessing for the Patrol detector pipeline."""
import os
import subprocess
import json
import numpy as np
import cv2

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("PATROL_SHARED", os.path.abspath(os.path.join(REPO, "..", "shared")))
TEACHER = os.path.join(SHARED, "models", "yolox_nano.onnx")
DATA = os.path.join(SHARED, "data", "images")
CACHE = os.path.join(HERE, "cache")
RUNS = os.path.join(HERE, "runs")
SIZE = 416

COCO = [l.strip() for l in open(os.path.join(SHARED, "models", "yolox_nano.classes.txt")) if l.strip()] \
    if os.path.exists(os.path.join(SHARED, "models", "yolox_nano.classes.txt")) else []
COCO_RENAME = {"motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch", "pottedplant": "potted plant",
               "diningtable": "dining table", "tvmonitor": "tv"}
COCO_STD = [COCO_RENAME.get(n, n) for n in COCO]

# (name, violation or None, teacher COCO name or None)
CLASSES = [
    ("garbage", "dumping", None),
    ("overflow", "dumping", None),
    ("garbage_bin", None, None),
    ("fire", "burning", None),
    ("smoke", "burning", None),
    ("person", None, "person"),
    ("bicycle", None, "bicycle"),
    ("car", None, "car"),
    ("motorcycle", None, "motorcycle"),
    ("bus", None, "bus"),
    ("truck", None, "truck"),
    ("bench", "stall", "bench"),
    ("umbrella", "stall", "umbrella"),
    ("chair", "stall", "chair"),
    ("dining table", "stall", "dining table"),
    ("backpack", None, "backpack"),
    ("handbag", None, "handbag"),
    ("suitcase", None, "suitcase"),
    ("potted plant", None, "potted plant"),
]
NAMES = [c[0] for c in CLASSES]
NUM_CLASSES = len(CLASSES)
N_OWN = 5  # classes with human labels; the rest are teacher pseudo-labels
# our class -> teacher row. Without ../shared there is no teacher (nor its class list) to map to: every use of the
# map loads the teacher, so the map stays empty and the rest (the model, the loss, the unit tests) still imports.
CLASS_MAP = [COCO_STD.index(c[2]) if c[2] else None for c in CLASSES] if COCO_STD else [None] * len(CLASSES)

# dataset class id -> our class id
DATASETS = {
    "garbage": {0: 0, 1: 2, 2: 1},  # 0 garbage, 1 garbage_bin, 2 overflow
    "forest_fire": {0: 4, 1: 3, 2: 4, 3: 3, 4: 3},  # heavy smoke, large fire, low smoke, medium fire, small fire
    "small_fire_smoke": {0: 3, 1: 4},
    "cctv_fire": {0: 3, 1: 4},  # CCTV/news frames of street, shop and highway fires; many "smoke" boxes are fog cannons
    "indoor_fire": {0: 3},  # indoor/CCTV fires; visible smoke is present but never labelled
}
# Classes a dataset shows but does not label: neither positive nor negative there (the loss ignores anchors that
# predict them), so indoor_fire's unlabelled smoke does not teach the model that smoke is background.
UNLABELLED = {"indoor_fire": (4,)}


def dataset_of(path):
    """The dataset folder an image path lies in (its name under DATA)."""
    return os.path.relpath(path, DATA).split(os.sep)[0]


def list_split(ds, split):
    d = os.path.join(DATA, ds, split, "images")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.lower().endswith((".jpg", ".jpeg", ".png")))


def label_path(img):
    d, f = os.path.split(img)
    return os.path.join(os.path.dirname(d), "labels", os.path.splitext(f)[0] + ".txt")


def read_labels(img, ds):
    """-> float32 [n, 5] (cls, x1, y1, x2, y2) normalized 0..1, classes mapped to ours."""
    p = label_path(img)
    out = []
    if os.path.exists(p):
        for line in open(p):
            v = line.split()
            if len(v) < 5:
                continue
            c = DATASETS[ds].get(int(float(v[0])))
            if c is None:
                continue
            cx, cy, w, h = map(float, v[1:5])
            out.append([c, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(out, np.float32).reshape(-1, 5)


def letterbox(img, size=SIZE):
    """Top-left letterbox with pad 114, like the runtime. Returns (canvas uint8 HxWx3 BGR, ratio)."""
    h, w = img.shape[:2]
    r = min(size / h, size / w)
    nh, nw = int(round(h * r)), int(round(w * r))
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nh, nw) != (h, w) else img
    return canvas, r


def to_tensor_np(canvas):
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)).astype(np.float32)


def run_onnx_node(onnx_path, x, input_name="images", threads=1):
    """Run an ONNX model with onnxruntime-node (the production runtime) on float32 array x; returns output."""
    import tempfile
    with tempfile.TemporaryDirectory() as td:
        xin = os.path.join(td, "in.bin")
        xout = os.path.join(td, "out.bin")
        x.astype(np.float32).tofile(xin)
        js = f"""
const ort = require('onnxruntime-node'); const fs = require('fs');
(async () => {{
  const s = await ort.InferenceSession.create({json.dumps(onnx_path)}, {{intraOpNumThreads: {threads}}});
  const b = fs.readFileSync({json.dumps(xin)});
  const a = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const r = await s.run({{{json.dumps(input_name)}: new ort.Tensor('float32', Float32Array.from(a), {json.dumps(list(x.shape))})}});
  const o = r[s.outputNames[0]];
  fs.writeFileSync({json.dumps(xout)}, Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
  fs.writeFileSync({json.dumps(xout + '.json')}, JSON.stringify(o.dims));
}})().catch(e => {{ console.error(e); process.exit(1); }});
"""
        subprocess.run(["node", "-e", js], cwd=REPO, check=True)
        with open(xout + ".json") as f:
            dims = json.load(f)
        return np.fromfile(xout, np.float32).reshape(dims)


def write_manifest(path, manifest):
    """A model manifest as the project writes them (2-space JSON, UTF-8 kept, a final newline), whole or not at all."""
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
