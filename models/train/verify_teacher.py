"""Check that our YOLOXNano, loaded from the teacher ONNX initializers, reproduces the teacher's output
(compared against onnxruntime-node, the production runtime) on real images."""
import sys
import numpy as np
import cv2
import torch
from common import TEACHER, list_split, letterbox, to_tensor_np, run_onnx_node
from yolox import load_teacher

torch.set_num_threads(2)
model = load_teacher(TEACHER).eval()
imgs = list_split("garbage", "valid")[:1] + list_split("forest_fire", "valid")[:1]
worst = 0.0
for p in imgs:
    canvas, _ = letterbox(cv2.imread(p))
    x = to_tensor_np(canvas)[None]
    ref = run_onnx_node(TEACHER, x)
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    d_reg = np.abs(ref[..., :4] - ours[..., :4]).max()
    d_sc = np.abs(ref[..., 4:] - ours[..., 4:]).max()
    print(f"{p}: max|diff| reg {d_reg:.2e} scores {d_sc:.2e}; top obj {ref[0, :, 4].max():.3f}")
    worst = max(worst, d_reg, d_sc)
ok = worst < 1e-3
print("teacher reproduction", "OK" if ok else "FAILED", f"(worst {worst:.2e}, tolerance 1e-3)")
sys.exit(0 if ok else 1)
