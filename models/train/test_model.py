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
from fold_focus import fold_focus  # noqa

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

    def test_fold_focus_is_the_same_function(self):
        """The Focus stem folded into a 6x6 stride-2 conv (what export.py ships) and into SpaceToDepth (what
        quantize.py needs) computes what the exported Slices + Concat + 3x3 conv do, in onnxruntime-node."""
        import io
        import tempfile
        import onnx
        from yolox import Focus
        torch.manual_seed(0)
        stem = Focus(3, 16).eval()
        for p in stem.parameters():
            p.data.normal_(0, 0.5)
        x = torch.rand(2, 3, 64, 96) * 255
        buf = io.BytesIO()
        torch.onnx.export(stem, x[:1], buf, opset_version=11, input_names=["images"], output_names=["output"],
                          dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}})
        with torch.no_grad():
            ref = stem(x).numpy()
        for mode in ("conv6", "s2d"):
            g = onnx.load_from_string(buf.getvalue())
            self.assertTrue(fold_focus(g, mode))
            self.assertFalse(any(n.op_type in ("Slice", "Concat") for n in g.graph.node), mode)
            with tempfile.TemporaryDirectory() as td:
                path = os.path.join(td, "m.onnx")
                onnx.save(g, path)
                got = run_onnx_node(path, x.numpy())
            self.assertLess(float(np.abs(got - ref).max()) / float(np.abs(ref).max()), 1e-5, mode)
            self.assertFalse(fold_focus(g, mode), "a folded graph has no Focus stem left")

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


class TestDataAndEval(unittest.TestCase):
    def test_paste_lands_on_picture_with_its_box(self):
        from data import paste_instances, instance_alpha, FIRE
        rng = np.random.default_rng(0)
        flame = np.zeros((40, 30, 3), np.uint8)
        flame[..., 2], flame[..., 1], flame[..., 0] = 250, 140, 20  # BGR: orange
        bank = [(FIRE, flame, instance_alpha(flame, FIRE))]
        img = np.full((416, 416, 3), 114, np.uint8)
        img[50:350, 60:300] = 90  # the picture; the rest is letterbox padding
        lab = np.array([[7, 60, 50, 160, 150]], np.float32)  # a car in the top-left of the picture
        for _ in range(20):
            out, new = paste_instances(img, lab, bank, rng, 2, 416)
            self.assertTrue(np.array_equal(new[:1], lab))
            for c, x1, y1, x2, y2 in new[1:]:
                self.assertEqual(int(c), FIRE)
                self.assertTrue(60 <= x1 < x2 <= 300 and 50 <= y1 < y2 <= 350, (x1, y1, x2, y2))
                ix = max(0.0, min(x2, 160) - max(x1, 60)) * max(0.0, min(y2, 150) - max(y1, 50))
                self.assertLess(ix / (100 * 100), 0.3)
                self.assertGreater(int(out[int(y1):int(y2), int(x1):int(x2), 2].max()), 200)  # flame pixels there
            self.assertTrue((out[:, 300:] == 114).all())  # padding untouched

    def test_p80_operating_point(self):
        from evaluate import evaluate
        # One image, 10 GT boxes of class 0; detections: 8 hits at high scores, then 2 misses, then 2 hits.
        gt = np.array([[0, x, 0, x + 10, 10] for x in range(0, 200, 20)], np.float32)
        hits = [[x, 0, x + 10, 10, s, 0] for x, s in zip(range(0, 160, 20), np.linspace(0.9, 0.6, 8))]
        misses = [[300, 300, 310, 310, 0.5, 0], [320, 300, 330, 310, 0.45, 0]]
        late = [[160, 0, 170, 10, 0.3, 0], [180, 0, 190, 10, 0.2, 0]]
        det = np.array(hits + misses + late, np.float32)
        from common import DATA
        res = evaluate([det], [(os.path.join(DATA, "garbage", "valid", "images", "x.jpg"), None, gt)], classes=[0])["garbage"]
        # Precision stays >= 0.8 down to 0.2 (10 of 12); at 0.45 it was 8/10.
        self.assertAlmostEqual(res["p80_thr"], 0.2, places=5)
        self.assertAlmostEqual(res["r_at_p80"], 1.0)

    def test_box_scale_turns_a_near_miss_into_a_hit(self):
        from evaluate import evaluate, scale_boxes
        from common import DATA
        # GT 100x100; the detection is the same box 0.66 as wide and high, centred: IoU 0.44, a miss at 0.5.
        gt = np.array([[0, 100, 100, 200, 200]], np.float32)
        det = np.array([[117, 117, 183, 183, 0.9, 0]], np.float32)
        item = [(os.path.join(DATA, "garbage", "valid", "images", "x.jpg"), None, gt)]
        grown = scale_boxes([det], 1.5)[0]
        np.testing.assert_allclose(grown[0, :4], [100.5, 100.5, 199.5, 199.5])
        self.assertEqual(grown[0, 4:].tolist(), [np.float32(0.9), 0.0])
        self.assertEqual(det[0, 0], 117)  # the input is not changed
        self.assertEqual(evaluate([det], item, classes=[0])["garbage"]["ap50"], 0.0)
        self.assertAlmostEqual(evaluate([grown], item, classes=[0])["garbage"]["ap50"], 1.0)

    def test_thresholds_take_the_pooled_split_only_where_valid_is_sparse(self):
        from thresholds import thresholds, DEFAULT
        r = lambda n, f1, p70=None, r70=0.0: dict(n_gt=n, f1_thr=f1, **({"p70_thr": p70, "r_at_p70": r70} if p70 else {}))
        valid = {"fire": r(400, 0.22, 0.31, 0.5), "person": r(300, 0.38), "bench": r(9, 0.9), "umbrella": r(4, 0.1),
                 "chair": r(5, 0.5), "car": r(200, 0.9)}
        pooled = {"bench": r(37, 0.38, 0.61, 0.32), "umbrella": r(33, 0.42, 0.39, 0.55), "chair": r(12, 0.2),
                  "person": r(1300, 0.6)}
        t = thresholds(valid, pooled)
        self.assertEqual(t["fire"], (0.31, "valid"))  # an alarm class raised to precision 0.7
        self.assertEqual(t["person"], (0.38, "valid"))  # enough valid boxes: the pooled split is not looked at
        self.assertEqual(t["car"], (0.7, "valid"))  # clamped
        self.assertEqual(t["bench"], (0.61, "train+valid"))
        self.assertEqual(t["umbrella"], (0.42, "train+valid"))  # p70 under the F1 optimum: the F1 optimum
        self.assertEqual(t["chair"], (DEFAULT, "default"))  # sparse in both
        self.assertEqual(t["garbage"], (DEFAULT, "default"))  # not evaluated
        self.assertEqual(thresholds(valid)["bench"], (DEFAULT, "default"))

    def test_fog_list(self):
        from data import apply_fog_list, TrainSet
        from common import DATA
        smoke, fire = NAMES.index("smoke"), NAMES.index("fire")
        lab = np.array([[smoke, 0, 0, 50, 50], [fire, 60, 60, 90, 90]], np.float32)
        im = np.zeros((100, 100, 3), np.uint8)
        cctv = lambda stem: (os.path.join(DATA, "cctv_fire", "train", "images", stem + ".jpg"), im, lab)
        forest = (os.path.join(DATA, "forest_fire", "train", "images", "fogcannon.jpg"), im, lab)
        items = [cctv("fogcannon"), cctv("haze"), cctv("street"), forest]
        out, extra, counts = apply_fog_list(items, {"fogcannon": "fog", "haze": "unclear"}, smoke)
        # fog: the smoke box goes, the fire box stays; unclear: boxes kept, smoke unlabelled on that image only;
        # the same stem in another data set is not the listed frame.
        self.assertEqual(out[0][2][:, 0].tolist(), [fire])
        self.assertEqual(out[1][2][:, 0].tolist(), [smoke, fire])
        self.assertEqual(out[2][2][:, 0].tolist(), [smoke, fire])
        self.assertEqual(out[3][2][:, 0].tolist(), [smoke, fire])
        self.assertEqual(extra, {items[1][0]: (smoke,)})
        self.assertEqual(counts, {"fog_images": 1, "fog_boxes_dropped": 1, "unclear_images": 1})
        ds = TrainSet(out, unlabelled_extra=extra)
        self.assertEqual([ds.unlabelled[i] for i in range(4)], [(), (smoke,), (), ()])
