"""YOLOX loss with SimOTA assignment: IoU loss (1 - IoU^2) on positives, BCE objectness on all anchors,
BCE class loss on positives with IoU-aware targets. Works on the raw logits from YOLOXNano.forward_raw."""
import torch
import torch.nn.functional as F
from yolox import grids


def box_iou_cxcywh(a, b):
    """a [n,4], b [m,4] cxcywh -> [n,m]"""
    a1, a2 = a[:, None, :2] - a[:, None, 2:] / 2, a[:, None, :2] + a[:, None, 2:] / 2
    b1, b2 = b[None, :, :2] - b[None, :, 2:] / 2, b[None, :, :2] + b[None, :, 2:] / 2
    tl = torch.max(a1, b1)
    br = torch.min(a2, b2)
    inter = (br - tl).clamp(min=0).prod(-1)
    return inter / (a[:, None, 2:].prod(-1) + b[None, :, 2:].prod(-1) - inter + 1e-9)


def iou_pair(a, b):
    """elementwise IoU of cxcywh boxes [n,4]"""
    tl = torch.max(a[:, :2] - a[:, 2:] / 2, b[:, :2] - b[:, 2:] / 2)
    br = torch.min(a[:, :2] + a[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2)
    inter = (br - tl).clamp(min=0).prod(-1)
    return inter / (a[:, 2:].prod(-1) + b[:, 2:].prod(-1) - inter + 1e-9)


class YOLOXLoss:
    def __init__(self, num_classes, size, center_radius=2.5, reg_weight=5.0, device="cpu"):
        self.nc = num_classes
        self.grid, self.stride = grids(size, size, device=torch.device(device))
        self.center_radius = center_radius
        self.reg_weight = reg_weight

    @torch.no_grad()
    def assign(self, boxes, obj_logit, cls_logit, gt_cls, gt_box):
        """SimOTA for one image. boxes [A,4] cxcywh (pixels), gt_box [G,4] cxcywh.
        Returns fg mask [A], matched gt index [num_fg], pred-gt IoU [num_fg]."""
        A = boxes.shape[0]
        G = gt_box.shape[0]
        xc = (self.grid[:, 0] + 0.5) * self.stride
        yc = (self.grid[:, 1] + 0.5) * self.stride
        gl, gr = gt_box[:, 0] - gt_box[:, 2] / 2, gt_box[:, 0] + gt_box[:, 2] / 2
        gt_, gb = gt_box[:, 1] - gt_box[:, 3] / 2, gt_box[:, 1] + gt_box[:, 3] / 2
        in_box = (xc[None] > gl[:, None]) & (xc[None] < gr[:, None]) & (yc[None] > gt_[:, None]) & (yc[None] < gb[:, None])
        r = self.center_radius * self.stride[None]
        in_ctr = ((xc[None] - gt_box[:, :1]).abs() < r) & ((yc[None] - gt_box[:, 1:2]).abs() < r)
        cand = (in_box | in_ctr).any(0)  # [A]
        if cand.sum() == 0:
            return torch.zeros(A, dtype=torch.bool, device=boxes.device), None, None
        both = (in_box & in_ctr)[:, cand]  # [G, Ac]
        pb = boxes[cand]
        ious = box_iou_cxcywh(gt_box, pb)  # [G, Ac]
        iou_cost = -torch.log(ious + 1e-8)
        p = (cls_logit[cand].sigmoid() * obj_logit[cand, None].sigmoid()).sqrt()  # [Ac, C]
        oh = F.one_hot(gt_cls.long(), self.nc).float()  # [G, C]
        p = p.clamp(1e-6, 1 - 1e-6)
        # BCE(p, onehot) summed over classes, for every (gt, anchor)
        cls_cost = -(oh @ torch.log(p).T + (1 - oh) @ torch.log(1 - p).T)  # [G, Ac]
        cost = cls_cost + 3.0 * iou_cost + 1e5 * (~both).float()
        matching = torch.zeros_like(cost)
        k = min(10, ious.shape[1])
        topk, _ = torch.topk(ious, k, dim=1)
        dyn_k = topk.sum(1).int().clamp(min=1)
        for g in range(G):
            _, pos = torch.topk(cost[g], int(dyn_k[g]), largest=False)
            matching[g, pos] = 1.0
        multi = matching.sum(0) > 1
        if multi.any():
            _, best = cost[:, multi].min(0)
            matching[:, multi] = 0
            matching[best, multi.nonzero(as_tuple=True)[0]] = 1.0
        fg_c = matching.sum(0) > 0
        gt_idx = matching[:, fg_c].argmax(0)
        iou_fg = (matching * ious).sum(0)[fg_c]
        fg = torch.zeros(A, dtype=torch.bool, device=boxes.device)
        idx = cand.nonzero(as_tuple=True)[0][fg_c]
        fg[idx] = True
        # reorder gt_idx/iou to ascending anchor index (matches boolean-mask order)
        return fg, gt_idx, iou_fg

    def __call__(self, raw, targets, teacher=None, kd_from=None, kd_weight=1.0, ignore=None, ignore_thr=0.3):
        """raw [N, A, 5+C] logits; targets: list of float tensors [n,5] (cls, x1, y1, x2, y2) pixels.
        teacher: optional teacher-format output [N, A, 5+C] (sigmoid obj/cls) of the frozen COCO teacher on the same
        batch; classes >= kd_from are distilled (learning without forgetting): objectness target becomes
        max(assigned, teacher obj x best retained-class score) and, on the other anchors, the retained-class logits
        are pulled to the teacher's probabilities (BCE weighted by teacher obj).
        ignore: optional per-image tuples of classes the image shows but does not label; the non-assigned anchors
        whose own prediction of such a class is >= ignore_thr get no objectness loss (not taught as background)."""
        N, A, _ = raw.shape
        reg = raw[..., :4]
        xy = (reg[..., :2] + self.grid) * self.stride[:, None]
        wh = torch.exp(reg[..., 2:4].clamp(max=10)) * self.stride[:, None]
        boxes = torch.cat([xy, wh], -1)
        obj = raw[..., 4]
        cls = raw[..., 5:]
        obj_t = torch.zeros(N, A, device=raw.device)
        fg_all, cls_t, box_t = [], [], []
        num_fg = 0
        for i in range(N):
            t = targets[i]
            fg = torch.zeros(A, dtype=torch.bool, device=raw.device)
            if len(t):
                gb = torch.stack([(t[:, 1] + t[:, 3]) / 2, (t[:, 2] + t[:, 4]) / 2, t[:, 3] - t[:, 1], t[:, 4] - t[:, 2]], 1)
                fg_, gi, iou = self.assign(boxes[i].detach(), obj[i].detach(), cls[i].detach(), t[:, 0], gb)
                if gi is not None:
                    fg = fg_
                    cls_t.append(F.one_hot(t[gi, 0].long(), self.nc).float() * iou[:, None])
                    box_t.append(gb[gi])
                    num_fg += int(fg.sum())
            obj_t[i] = fg.float()
            fg_all.append(fg)
        fg_all = torch.stack(fg_all)
        nf = max(num_fg, 1)
        loss_kd = raw.sum() * 0
        if teacher is not None:
            t_obj = teacher[..., 4]
            t_cls = teacher[..., 5 + kd_from:]
            t_score = t_obj * t_cls.max(-1).values
            obj_t = torch.max(obj_t, t_score)
            m = (~fg_all) & (t_score > 0.01)
            if m.any():
                w = t_obj[m][:, None]
                loss_kd = kd_weight * (F.binary_cross_entropy_with_logits(cls[m][:, kd_from:], t_cls[m], reduction="none")
                                       * w).sum() / nf
        obj_w = torch.ones(N, A, device=raw.device)
        if ignore is not None:
            with torch.no_grad():
                for i, cl in enumerate(ignore):
                    if cl:
                        p = obj[i].sigmoid() * cls[i][:, list(cl)].sigmoid().max(-1).values
                        obj_w[i][(p >= ignore_thr) & ~fg_all[i]] = 0.0
        loss_obj = (F.binary_cross_entropy_with_logits(obj, obj_t, reduction="none") * obj_w).sum() / nf
        if num_fg:
            pb = boxes[fg_all]
            tb = torch.cat(box_t)
            loss_iou = (1 - iou_pair(pb, tb) ** 2).sum() / nf
            loss_cls = F.binary_cross_entropy_with_logits(cls[fg_all], torch.cat(cls_t), reduction="sum") / nf
        else:
            loss_iou = raw.sum() * 0
            loss_cls = raw.sum() * 0
        total = self.reg_weight * loss_iou + loss_obj + loss_cls + loss_kd
        return total, {"iou": float(loss_iou), "obj": float(loss_obj), "cls": float(loss_cls), "kd": float(loss_kd),
                       "fg": num_fg / N}
