"""YOLOX-nano (depth 0.33, width 0.25, depthwise) written for Patrol.

The teacher ONNX has BatchNorm folded into its convolutions, so every BaseConv here is a Conv2d with bias
followed by SiLU (exported as Sigmoid*Mul, like the teacher). Weights are initialized by reading the ONNX
initializers: the k-th convolution executed by our forward is matched to the k-th Conv node of the ONNX graph
(shapes are checked one by one).

Output (eval and export): [N, A, 5 + C] with raw grid x, y (offsets in cells), w, h (log of size/stride),
sigmoid(obj), sigmoid(cls) for strides 8/16/32 -- exactly the teacher's format.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BaseConv(nn.Module):
    def __init__(self, cin, cout, k, s=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=True)
        self.act = act

    def forward(self, x):
        x = self.conv(x)
        return x * torch.sigmoid(x) if self.act else x


class DWConv(nn.Module):
    def __init__(self, cin, cout, k, s=1):
        super().__init__()
        self.dconv = BaseConv(cin, cin, k, s, groups=cin)
        self.pconv = BaseConv(cin, cout, 1, 1)

    def forward(self, x):
        return self.pconv(self.dconv(x))


class Bottleneck(nn.Module):
    def __init__(self, cin, cout, shortcut=True):
        super().__init__()
        self.conv1 = BaseConv(cin, cout, 1)
        self.conv2 = DWConv(cout, cout, 3)
        self.add = shortcut and cin == cout

    def forward(self, x):
        y = self.conv2(self.conv1(x))
        return y + x if self.add else y


class CSPLayer(nn.Module):
    def __init__(self, cin, cout, n=1, shortcut=True):
        super().__init__()
        h = cout // 2
        self.conv1 = BaseConv(cin, h, 1)
        self.conv2 = BaseConv(cin, h, 1)
        self.conv3 = BaseConv(2 * h, cout, 1)
        self.m = nn.Sequential(*[Bottleneck(h, h, shortcut) for _ in range(n)])

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv2(x)
        x1 = self.m(x1)
        return self.conv3(torch.cat([x1, x2], 1))


class SPPBottleneck(nn.Module):
    def __init__(self, cin, cout, ks=(5, 9, 13)):
        super().__init__()
        h = cin // 2
        self.conv1 = BaseConv(cin, h, 1)
        self.ks = ks
        self.conv2 = BaseConv(h * (len(ks) + 1), cout, 1)

    def forward(self, x):
        x = self.conv1(x)
        x = torch.cat([x] + [F.max_pool2d(x, k, 1, k // 2) for k in self.ks], 1)
        return self.conv2(x)


class Focus(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = BaseConv(cin * 4, cout, 3, 1)

    def forward(self, x):
        tl = x[..., ::2, ::2]
        tr = x[..., ::2, 1::2]
        bl = x[..., 1::2, ::2]
        br = x[..., 1::2, 1::2]
        return self.conv(torch.cat([tl, bl, tr, br], 1))


class CSPDarknetNano(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Focus(3, 16)
        self.dark2 = nn.Sequential(DWConv(16, 32, 3, 2), CSPLayer(32, 32, 1))
        self.dark3 = nn.Sequential(DWConv(32, 64, 3, 2), CSPLayer(64, 64, 3))
        self.dark4 = nn.Sequential(DWConv(64, 128, 3, 2), CSPLayer(128, 128, 3))
        self.dark5 = nn.Sequential(DWConv(128, 256, 3, 2), SPPBottleneck(256, 256), CSPLayer(256, 256, 1, False))

    def forward(self, x):
        x = self.dark2(self.stem(x))
        c3 = self.dark3(x)
        c4 = self.dark4(c3)
        c5 = self.dark5(c4)
        return c3, c4, c5


class PAFPNNano(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = CSPDarknetNano()
        self.lateral_conv0 = BaseConv(256, 128, 1)
        self.C3_p4 = CSPLayer(256, 128, 1, False)
        self.reduce_conv1 = BaseConv(128, 64, 1)
        self.C3_p3 = CSPLayer(128, 64, 1, False)
        self.bu_conv2 = DWConv(64, 64, 3, 2)
        self.C3_n3 = CSPLayer(128, 128, 1, False)
        self.bu_conv1 = DWConv(128, 128, 3, 2)
        self.C3_n4 = CSPLayer(256, 256, 1, False)

    def forward(self, x):
        x2, x1, x0 = self.backbone(x)
        fpn_out0 = self.lateral_conv0(x0)
        f = F.interpolate(fpn_out0, scale_factor=2.0, mode="nearest")
        f = self.C3_p4(torch.cat([f, x1], 1))
        fpn_out1 = self.reduce_conv1(f)
        f = F.interpolate(fpn_out1, scale_factor=2.0, mode="nearest")
        pan_out2 = self.C3_p3(torch.cat([f, x2], 1))
        p = self.bu_conv2(pan_out2)
        pan_out1 = self.C3_n3(torch.cat([p, fpn_out1], 1))
        p = self.bu_conv1(pan_out1)
        pan_out0 = self.C3_n4(torch.cat([p, fpn_out0], 1))
        return pan_out2, pan_out1, pan_out0


class HeadNano(nn.Module):
    def __init__(self, num_classes, in_ch=(64, 128, 256), hidden=64):
        super().__init__()
        self.num_classes = num_classes
        self.stems = nn.ModuleList()
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        self.cls_preds = nn.ModuleList()
        self.reg_preds = nn.ModuleList()
        self.obj_preds = nn.ModuleList()
        for c in in_ch:
            self.stems.append(BaseConv(c, hidden, 1))
            self.cls_convs.append(nn.Sequential(DWConv(hidden, hidden, 3), DWConv(hidden, hidden, 3)))
            self.reg_convs.append(nn.Sequential(DWConv(hidden, hidden, 3), DWConv(hidden, hidden, 3)))
            self.cls_preds.append(nn.Conv2d(hidden, num_classes, 1))
            self.reg_preds.append(nn.Conv2d(hidden, 4, 1))
            self.obj_preds.append(nn.Conv2d(hidden, 1, 1))

    def forward(self, feats):
        """Returns logits [N, A, 5 + C] (reg raw, obj logit, cls logits)."""
        outs = []
        for k, x in enumerate(feats):
            x = self.stems[k](x)
            cls_out = self.cls_preds[k](self.cls_convs[k](x))
            reg_feat = self.reg_convs[k](x)
            reg_out = self.reg_preds[k](reg_feat)
            obj_out = self.obj_preds[k](reg_feat)
            outs.append(torch.cat([reg_out, obj_out, cls_out], 1).flatten(2))
        return torch.cat(outs, 2).permute(0, 2, 1)


class YOLOXNano(nn.Module):
    strides = (8, 16, 32)

    def __init__(self, num_classes=80):
        super().__init__()
        self.num_classes = num_classes
        self.backbone = PAFPNNano()
        self.head = HeadNano(num_classes)

    def forward_raw(self, x):
        """Logits: [N, A, 5+C] with raw reg, obj/cls logits (used by the loss)."""
        return self.head(self.backbone(x))

    def forward(self, x):
        """Teacher-format output: raw grid reg + sigmoid(obj, cls)."""
        r = self.forward_raw(x)
        return torch.cat([r[..., :4], torch.sigmoid(r[..., 4:])], -1)


def grids(h, w, strides=(8, 16, 32), device="cpu"):
    """Cell (x, y) and stride per anchor for an input of h x w, in output order."""
    g, s = [], []
    for st in strides:
        ny, nx = h // st, w // st
        yv, xv = torch.meshgrid(torch.arange(ny, device=device), torch.arange(nx, device=device), indexing="ij")
        g.append(torch.stack([xv, yv], -1).reshape(-1, 2).float())
        s.append(torch.full((ny * nx,), float(st), device=device))
    return torch.cat(g), torch.cat(s)


def decode(out, h, w):
    """Teacher-format output -> [N, A, 4] boxes x1y1x2y2 in input pixels, obj, cls."""
    g, s = grids(h, w, device=out.device)
    xy = (out[..., :2] + g) * s[:, None]
    wh = torch.exp(out[..., 2:4]) * s[:, None]
    boxes = torch.cat([xy - wh / 2, xy + wh / 2], -1)
    return boxes, out[..., 4], out[..., 5:]


def conv_order(model, size=64):
    """Conv2d modules in the order our forward executes them."""
    order = []
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod)) for m in model.modules()
             if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.forward_raw(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return order


def onnx_convs(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    convs = []
    for n in m.graph.node:
        if n.op_type == "Conv":
            convs.append((inits[n.input[1]], inits[n.input[2]] if len(n.input) > 2 else None, n.input[1]))
    return convs


def load_student(path, num_classes):
    """A training checkpoint's weights (the EMA when it has one) in an eval-mode YOLOXNano; also the checkpoint."""
    ck = torch.load(path, map_location="cpu")
    model = YOLOXNano(num_classes)
    model.load_state_dict({k: v.float() for k, v in (ck.get("ema") or ck["model"]).items()})
    model.eval()
    return model, ck


def load_teacher(path, num_classes=80, class_map=None):
    """Build a YOLOXNano with weights from the teacher ONNX.

    class_map: list of length num_classes; entry = teacher COCO index to copy into that class row,
    or None for a new class (row initialized with the YOLOX prior bias, small random weights).
    """
    model = YOLOXNano(num_classes)
    order = conv_order(model)
    convs = onnx_convs(path)
    assert len(order) == len(convs), (len(order), len(convs))
    cls_pred_ids = {id(m) for m in model.head.cls_preds}
    gen = torch.Generator().manual_seed(0)
    for mod, (w, b, name) in zip(order, convs):
        w = torch.from_numpy(w.copy())
        b = torch.from_numpy(b.copy())
        if id(mod) in cls_pred_ids and num_classes != 80 or (id(mod) in cls_pred_ids and class_map is not None):
            assert w.shape[0] == 80, name
            nw = torch.randn(mod.weight.shape, generator=gen) * 0.01
            prior = -float(np.log((1 - 0.01) / 0.01))
            nb = torch.full((num_classes,), prior)
            for c, t in enumerate(class_map):
                if t is not None:
                    nw[c] = w[t]
                    nb[c] = b[t]
            w, b = nw, nb
        assert tuple(mod.weight.shape) == tuple(w.shape), (name, mod.weight.shape, w.shape)
        with torch.no_grad():
            mod.weight.copy_(w)
            mod.bias.copy_(b)
    return model
