"""Training data: garbage, forest_fire, cctv_fire and indoor_fire train splits, human labels for our 5 classes plus the teacher's cached
pseudo-labels for the retained COCO classes. Images are decoded once and kept in RAM (they are <= 416 px).
Augmentation: mosaic (4 images, random centre), random scale/translate (affine), horizontal flip, HSV jitter.
Copy-paste: flames cut from the forest_fire *train* images are pasted onto other training images (mostly
street scenes), because the fire labels come from wildland photos while the cameras watch streets; the fixture
videos cut their flames from the valid/test splits, so no fixture pixel is ever trained on.
All randomness comes from the numpy Generator passed in (its state is checkpointed)."""
import os
import numpy as np
import cv2
from common import DATA, CACHE, SHARED, UNLABELLED, dataset_of, list_split, read_labels, letterbox, SIZE

PSEUDO_THR = 0.35


def load_pseudo(ds, split):
    p = os.path.join(CACHE, "pseudo", f"{ds}_{split}.npz")
    if not os.path.exists(p):
        # A pack from pack_data.py (PATROL_SHARED=pack, e.g. on a GPU machine) carries its own copy.
        p = os.path.join(SHARED, "pseudo", f"{ds}_{split}.npz")
    if not os.path.exists(p):
        raise SystemExit(f"missing {p}: run pseudo_label.py first")
    z = np.load(p)
    return {k: z[k] for k in z.files}


def read_fog_list(path):
    """cctv_fire_fog.txt -> {image stem: "fog" | "unclear"} (see the file's header)."""
    out = {}
    for line in open(path):
        if line.strip() and not line.startswith("#"):
            stem, kind = line.split()
            out[stem] = kind
    return out


def apply_fog_list(items, fog, smoke_class):
    """cctv_fire frames whose "smoke" is fog from an anti-burglary fog cannon: their smoke boxes go (fog is
    background to the detector, as the issue wants it silent on fog); on the unclear ones smoke is unlabelled
    (neither taught nor refuted). -> (items, {path: (smoke_class,)} for TrainSet's unlabelled_extra, counts)"""
    out, extra, n_fog, n_unclear, n_boxes = [], {}, 0, 0, 0
    for p, im, lab in items:
        kind = fog.get(os.path.splitext(os.path.basename(p))[0]) if dataset_of(p) == "cctv_fire" else None
        if kind == "fog":
            n_fog += 1
            n_boxes += int((lab[:, 0] == smoke_class).sum())
            lab = lab[lab[:, 0] != smoke_class]
        elif kind == "unclear":
            n_unclear += 1
            extra[p] = (smoke_class,)
        out.append((p, im, lab))
    return out, extra, {"fog_images": n_fog, "fog_boxes_dropped": n_boxes, "unclear_images": n_unclear}


def load_split(sets, split, with_pseudo=True):
    """-> list of (path, BGR uint8 image, labels float32 [n,5] cls,x1,y1,x2,y2 in pixels)"""
    items = []
    for ds in sets:
        pseudo = load_pseudo(ds, split) if with_pseudo else {}
        for p in list_split(ds, split):
            im = cv2.imread(p)
            if im is None:
                continue
            h, w = im.shape[:2]
            if max(h, w) > SIZE:  # keep RAM bounded; the datasets are already <= 416
                r = SIZE / max(h, w)
                im = cv2.resize(im, (int(round(w * r)), int(round(h * r))), interpolation=cv2.INTER_AREA)
                h, w = im.shape[:2]
            lab = read_labels(p, ds)
            ps = pseudo.get(os.path.relpath(p, DATA))
            if ps is not None and len(ps):
                ps = ps[ps[:, 5] >= PSEUDO_THR][:, :5]
                lab = np.concatenate([lab, ps], 0)
            lab = lab.copy()
            lab[:, [1, 3]] *= w
            lab[:, [2, 4]] *= h
            items.append((p, im, lab.astype(np.float32)))
    return items


def hsv_aug(img, rng, hgain=0.015, sgain=0.7, vgain=0.4):
    r = rng.uniform(-1, 1, 3) * [hgain, sgain, vgain] + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    x = np.arange(0, 256, dtype=np.int16)
    lut_hue = ((x * r[0]) % 180).astype(np.uint8)
    lut_sat = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_val = np.clip(x * r[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_hue), cv2.LUT(sat, lut_sat), cv2.LUT(val, lut_val)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def affine_crop(img, lab, rng, out, scale=(0.5, 1.5), translate=0.1, center=None):
    """Random scale around `center` of img, then crop/pad into an out x out canvas (pad 114)."""
    h, w = img.shape[:2]
    s = rng.uniform(*scale)
    cx, cy = center if center is not None else (w / 2, h / 2)
    tx = out / 2 + rng.uniform(-translate, translate) * out
    ty = out / 2 + rng.uniform(-translate, translate) * out
    M = np.array([[s, 0, tx - s * cx], [0, s, ty - s * cy]], np.float32)
    res = cv2.warpAffine(img, M, (out, out), borderValue=(114, 114, 114))
    if len(lab):
        lab = lab.copy()
        lab[:, [1, 3]] = lab[:, [1, 3]] * s + M[0, 2]
        lab[:, [2, 4]] = lab[:, [2, 4]] * s + M[1, 2]
    return res, lab


def clip_filter(lab, w, h, min_size=2.0, min_area_ratio=0.2):
    if not len(lab):
        return lab
    orig = (lab[:, 3] - lab[:, 1]) * (lab[:, 4] - lab[:, 2])
    lab = lab.copy()
    lab[:, [1, 3]] = lab[:, [1, 3]].clip(0, w)
    lab[:, [2, 4]] = lab[:, [2, 4]].clip(0, h)
    bw, bh = lab[:, 3] - lab[:, 1], lab[:, 4] - lab[:, 2]
    keep = (bw > min_size) & (bh > min_size) & (bw * bh > min_area_ratio * np.maximum(orig, 1e-6))
    return lab[keep]


FIRE, SMOKE = 3, 4


def instance_alpha(crop, cls):
    """Soft mask of a fire (flame-colour key: bright and red over blue) or smoke (feathered ellipse) crop."""
    h, w = crop.shape[:2]
    if cls == FIRE:
        b, g, r = (crop[..., k].astype(np.float32) for k in range(3))
        a = np.maximum(np.clip((r - b - 25) / 65, 0, 1) * np.clip((r - 100) / 90, 0, 1),
                       np.clip((np.minimum(r, g) - 200) / 45, 0, 1) * np.clip((r - b - 10) / 30, 0, 1))
    else:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = ((xx - (w - 1) / 2) / (w / 2)) ** 2 + ((yy - (h - 1) / 2) / (h / 2)) ** 2
        a = np.clip((1.0 - d) / 0.5, 0, 1)
    k = max(3, (min(h, w) // 12) | 1)
    return cv2.GaussianBlur(a, (k, k), 0)


PASTE_SOURCES = ("forest_fire", "indoor_fire")


def build_paste_bank(items, min_side=20, classes=(FIRE,), sources=PASTE_SOURCES):
    """-> list of (cls, crop BGR uint8, alpha float32) from the train labels of `sources` (wildland and indoor/CCTV
    flames; cctv_fire's boxes are too coarse to cut from). Fire only by default: the smoke boxes are loose (whole
    hillsides of forest and flames)."""
    bank = []
    for p, im, lab in items:
        if dataset_of(p) not in sources:
            continue
        for c, x1, y1, x2, y2 in lab:
            if int(c) not in classes or min(x2 - x1, y2 - y1) < min_side:
                continue
            crop = im[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))]
            if crop.size == 0:
                continue
            alpha = instance_alpha(crop, int(c))
            if alpha.mean() < 0.1:  # a fire box whose flames are not flame-coloured: nothing to cut
                continue
            bank.append((int(c), crop.copy(), alpha))
    return bank


def paste_instances(img, lab, bank, rng, n, size):
    """Pastes n random bank instances at random places and scales, avoiding the labelled objects already there."""
    img = img.copy()
    out = [lab] if len(lab) else []
    # Only on picture, not on the letterbox/mosaic padding.
    real = np.any(img != 114, axis=2)
    rows, cols = np.nonzero(real.any(1))[0], np.nonzero(real.any(0))[0]
    if not len(rows):
        return img, lab
    content = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    for _ in range(n):
        c, crop, alpha = bank[int(rng.integers(len(bank)))]
        side = rng.uniform(0.05, 0.35) * size
        r = side / max(crop.shape[:2])
        w, h = max(2, int(crop.shape[1] * r)), max(2, int(crop.shape[0] * r))
        if w >= size or h >= size:
            continue
        cr = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
        al = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        if c == SMOKE:
            al = al * rng.uniform(0.55, 0.95)
        if rng.random() < 0.5:
            cr, al = cr[:, ::-1], al[:, ::-1]
        x0, y0, x1, y1 = content
        if x1 - x0 <= w or y1 - y0 <= h:
            continue
        for _try in range(5):
            x, y = int(rng.integers(x0, x1 - w)), int(rng.integers(y0, y1 - h))
            if not len(lab):
                break
            ix = np.clip(np.minimum(lab[:, 3], x + w) - np.maximum(lab[:, 1], x), 0, None)
            iy = np.clip(np.minimum(lab[:, 4], y + h) - np.maximum(lab[:, 2], y), 0, None)
            area = np.maximum((lab[:, 3] - lab[:, 1]) * (lab[:, 4] - lab[:, 2]), 1e-6)
            if (ix * iy / area).max() < 0.3:
                break
        else:
            continue
        roi = img[y:y + h, x:x + w].astype(np.float32)
        img[y:y + h, x:x + w] = (roi + (cr.astype(np.float32) - roi) * al[..., None]).astype(np.uint8)
        ys, xs = np.nonzero(al > 0.3)
        if len(xs) == 0 or xs.ptp() < 4 or ys.ptp() < 4:
            continue
        out.append(np.array([[c, x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1]], np.float32))
    return img, (np.concatenate(out, 0) if out else np.zeros((0, 5), np.float32))


class TrainSet:
    def __init__(self, items, size=SIZE, mosaic_prob=0.8, paste_prob=0.0, unlabelled_extra=None):
        """unlabelled_extra: {image path: classes} unlabelled on those images beyond their data set's UNLABELLED."""
        self.items = items
        self.size = size
        self.mosaic_prob = mosaic_prob
        self.paste_prob = paste_prob
        self.bank = build_paste_bank(items) if paste_prob > 0 else []
        extra = unlabelled_extra or {}
        self.unlabelled = [tuple(sorted(set(UNLABELLED.get(dataset_of(p), ())) | set(extra.get(p, ())))) for p, _, _ in items]

    def __len__(self):
        return len(self.items)

    def _resized(self, i, rng):
        _, im, lab = self.items[i]
        h, w = im.shape[:2]
        r = self.size / max(h, w)
        if r != 1:
            im = cv2.resize(im, (int(round(w * r)), int(round(h * r))), interpolation=cv2.INTER_LINEAR)
            lab = lab.copy()
            lab[:, 1:] *= r
        return im, lab

    def mosaic(self, idx, rng):
        s = self.size
        canvas = np.full((2 * s, 2 * s, 3), 114, np.uint8)
        xc, yc = (int(rng.uniform(0.5 * s, 1.5 * s)) for _ in range(2))
        ids = [idx] + list(rng.integers(0, len(self.items), 3))
        self._last_ids = ids
        labs = []
        for k, i in enumerate(ids):
            im, lab = self._resized(int(i), rng)
            h, w = im.shape[:2]
            if k == 0:
                x1a, y1a, x2a, y2a = max(xc - w, 0), max(yc - h, 0), xc, yc
            elif k == 1:
                x1a, y1a, x2a, y2a = xc, max(yc - h, 0), min(xc + w, 2 * s), yc
            elif k == 2:
                x1a, y1a, x2a, y2a = max(xc - w, 0), yc, xc, min(2 * s, yc + h)
            else:
                x1a, y1a, x2a, y2a = xc, yc, min(xc + w, 2 * s), min(2 * s, yc + h)
            # source region: anchored at the corner touching the centre
            if k == 0:
                x1b, y1b = w - (x2a - x1a), h - (y2a - y1a)
            elif k == 1:
                x1b, y1b = 0, h - (y2a - y1a)
            elif k == 2:
                x1b, y1b = w - (x2a - x1a), 0
            else:
                x1b, y1b = 0, 0
            canvas[y1a:y2a, x1a:x2a] = im[y1b:y1b + (y2a - y1a), x1b:x1b + (x2a - x1a)]
            if len(lab):
                lab = lab.copy()
                lab[:, [1, 3]] += x1a - x1b
                lab[:, [2, 4]] += y1a - y1b
                labs.append(lab)
        lab = np.concatenate(labs, 0) if labs else np.zeros((0, 5), np.float32)
        lab = clip_filter(lab, 2 * s, 2 * s, min_area_ratio=0.0)
        img, lab = affine_crop(canvas, lab, rng, s, scale=(0.5, 1.5), translate=0.1, center=(xc, yc))
        return img, lab

    def single(self, idx, rng):
        im, lab = self._resized(idx, rng)
        s = self.size
        h, w = im.shape[:2]
        sc = rng.uniform(0.6, 1.0)
        M = np.array([[sc, 0, rng.uniform(0, max(s - w * sc, 0) + 1)], [0, sc, rng.uniform(0, max(s - h * sc, 0) + 1)]],
                     np.float32)
        img = cv2.warpAffine(im, M, (s, s), borderValue=(114, 114, 114))
        lab = lab.copy()
        if len(lab):
            lab[:, [1, 3]] = lab[:, [1, 3]] * sc + M[0, 2]
            lab[:, [2, 4]] = lab[:, [2, 4]] * sc + M[1, 2]
        return img, lab

    def get(self, idx, rng, mosaic=True):
        """-> (CHW image, labels, classes unlabelled in any of the source images)"""
        if mosaic and rng.random() < self.mosaic_prob:
            img, lab = self.mosaic(idx, rng)
            ign = tuple(sorted(set(c for i in self._last_ids for c in self.unlabelled[int(i)])))
        else:
            img, lab = self.single(idx, rng)
            ign = self.unlabelled[idx]
        lab = clip_filter(lab, self.size, self.size)
        if self.bank and rng.random() < self.paste_prob:
            img, lab = paste_instances(img, lab, self.bank, rng, int(rng.integers(1, 3)), self.size)
        img = hsv_aug(img, rng)
        if rng.random() < 0.5:
            img = img[:, ::-1]
            if len(lab):
                lab = lab.copy()
                x1 = self.size - lab[:, 3]
                lab[:, 3] = self.size - lab[:, 1]
                lab[:, 1] = x1
        return np.ascontiguousarray(img.transpose(2, 0, 1)), lab, ign

    def batch(self, ids, rng, mosaic=True):
        """-> (float32 [B,3,S,S], per-image labels, per-image unlabelled classes)"""
        imgs, labs, igns = [], [], []
        for i in ids:
            im, lab, ign = self.get(int(i), rng, mosaic)
            imgs.append(im)
            labs.append(lab)
            igns.append(ign)
        return np.stack(imgs).astype(np.float32), labs, igns
