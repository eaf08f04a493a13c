"""Unit tests for the training pipeline: /usr/bin/python3 -m unittest models/train/test_model.py -v
(run from models/train: /usr/bin/python3 -m unittest test_model -v). Tests needing ../shared skip without it."""
import os
import sys
import unittest
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import TEACHER, NUM_CLASSES, CLASS_MAP, NAMES, list_split, letterbox, to_tensor_np, run_onnx_node  # noqa
from yolox import YOLOXNano, load_teacher, decode  # noqa
from loss import YOLOXLoss  # noqa

torch.set_num_threads(1)
HAVE_SHARED = os.path.exists(TEACHER)


class TestModel(unittest.TestCase):
    def test_output_format(self):
        m = YOLOXNano(NUM_CLASSES).eval()
        with torch.no_grad():
            out = m(torch.rand(2, 3, 416, 416) * 255)
        self.assertEqual(tuple(out.shape), (2, 3549, 5 + NUM_CLASSES))
        self.assertTrue(bool(((out[..., 4:] >= 0) & (out[..., 4:] <= 1)).all()))
        boxes, obj, cls = decode(out, 416, 416)
        self.assertEqual(tuple(boxes.shape), (2, 3549, 4))

    def test_loss_finite_and_assigns(self):
        m = YOLOXNano(NUM_CLASSES)
        loss_fn = YOLOXLoss(NUM_CLASSES, 320)
        raw = m.forward_raw(torch.rand(2, 3, 320, 320) * 255)
        t = [torch.tensor([[0, 10, 10, 120, 90], [4, 100, 100, 300, 310]], dtype=torch.float32), torch.zeros(0, 5)]
        loss, parts = loss_fn(raw, t)
        self.assertTrue(torch.isfinite(loss))
        self.assertGreater(parts["fg"], 0)
        loss.backward()

    @unittest.skipUnless(HAVE_SHARED, "../shared/models/yolox_nano.onnx absent")
    def test_teacher_reproduction(self):
        m = load_teacher(TEACHER).eval()
        imgs = list_split("garbage", "valid")[:1]
        import cv2
        x = to_tensor_np(letterbox(cv2.imread(imgs[0]))[0])[None]
        ref = run_onnx_node(TEACHER, x)
        with torch.no_grad():
            ours = m(torch.from_numpy(x)).numpy()
        self.assertLess(float(np.abs(ref - ours).max()), 1e-3)

    @unittest.skipUnless(HAVE_SHARED, "../shared/models/yolox_nano.onnx absent")
    def test_coco_rows_copied(self):
        t = load_teacher(TEACHER)
        s = load_teacher(TEACHER, NUM_CLASSES, CLASS_MAP)
        c = NAMES.index("umbrella")
        self.assertTrue(torch.equal(s.head.cls_preds[0].weight[c], t.head.cls_preds[0].weight[CLASS_MAP[c]]))


if __name__ == "__main__":
    unittest.main()
