"""Stage 2: train the combined Patrol detector (YOLOX-nano, initialized from the teacher ONNX).

  /usr/bin/python3 train.py [--run runs/main] [--epochs 40] [--batch 8] [--lr 0.004] [--seed 0]
  /usr/bin/python3 train.py --resume            # continue runs/main/last.pt (or checkpoints/latest.pt)

Checkpoints (write-then-rename): RUN/last.pt every --ckpt-minutes (10), at each epoch end and on SIGTERM/SIGINT;
RUN/best.pt = EMA weights with the best validation mAP50. Each holds model + EMA + optimizer + epoch + step +
RNG states, so --resume continues the same schedule exactly where it stopped. Progress: RUN/train.log.
"""
import argparse
import json
import math
import os
import signal
import time
import numpy as np
import torch
from common import NUM_CLASSES, CLASS_MAP, TEACHER, HERE, NAMES, N_OWN, DATA
from data import load_split, TrainSet, read_fog_list, apply_fog_list
from loss import YOLOXLoss
from yolox import YOLOXNano, load_teacher

ap = argparse.ArgumentParser()
ap.add_argument("--run", default=os.path.join(HERE, "runs", "main"))
ap.add_argument("--resume", nargs="?", const="auto", default=None,
                help="checkpoint to resume (default: RUN/last.pt, else checkpoints/latest.pt)")
ap.add_argument("--epochs", type=int, default=40, help="length of the LR schedule")
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--lr", type=float, default=0.004, help="peak SGD learning rate for --batch")
ap.add_argument("--wd", type=float, default=5e-4)
ap.add_argument("--warmup", type=int, default=300, help="warm-up iterations")
ap.add_argument("--paste", type=float, default=0.3,
                help="probability of pasting 1-2 fire instances (cut from forest_fire train) onto a sample")
ap.add_argument("--no-mosaic-epochs", type=int, default=4, help="last N epochs without mosaic")
ap.add_argument("--size", type=int, default=416)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--ckpt-minutes", type=float, default=10)
ap.add_argument("--eval-every", type=int, default=2, help="evaluate every N epochs (0 = never)")
ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (smoke tests)")
ap.add_argument("--sets", default="garbage,forest_fire,cctv_fire,indoor_fire")
ap.add_argument("--repeat", default="cctv_fire:2",
                help="oversample small sets, DS:N[,DS:N] (cctv_fire holds the street/CCTV fires the cameras see)")
ap.add_argument("--hard-negatives", default="",
                help="FILE:N — images listed in FILE (paths relative to the data folder, from mine_negatives.py) "
                     "appear N times per epoch: where the model called fire or smoke on an unlabelled train image")
ap.add_argument("--fog-list", default="",
                help="cctv_fire_fog.txt: the cctv_fire train frames whose smoke boxes are fog-cannon fog lose them "
                     "(fog becomes background), the unclear ones get smoke unlabelled")
ap.add_argument("--init", help="fine-tune: start from this checkpoint's EMA weights with a fresh optimizer and "
                               "schedule (e.g. checkpoints/latest.pt, the state that made 0.2.0)")
ap.add_argument("--kd", type=float, default=1.0,
                help="weight of the distillation of the retained COCO classes from the frozen teacher (0 = off)")
ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                help="auto: a CUDA GPU when torch sees one, else the CPU. Checkpoints are the same either way (saved on "
                     "the CPU), so a run resumes on the other kind of machine")
ap.add_argument("--freeze", default="stem,dark2,dark3",
                help="backbone stages kept at the teacher's weights (their backward pass dominates CPU time)")
args = ap.parse_args()

torch.set_num_threads(args.threads)
if args.device == "cuda" and not torch.cuda.is_available():
    raise SystemExit("train.py: --device cuda, but torch sees no CUDA GPU here (use --device auto or cpu)")
DEVICE = torch.device("cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu")
if DEVICE.type == "cuda":
    torch.backends.cudnn.benchmark = True  # one input size: let cuDNN pick its fastest kernels once
os.makedirs(args.run, exist_ok=True)
log_f = open(os.path.join(args.run, "train.log"), "a")


def log(msg):
    line = time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + msg
    print(line, flush=True)
    log_f.write(line + "\n")
    log_f.flush()


class EMA:
    def __init__(self, model, decay=0.9998, updates=0):
        self.ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.decay = decay
        self.updates = updates

    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / 2000))
        with torch.no_grad():
            for k, v in model.state_dict().items():
                self.ema[k].mul_(d).add_(v.detach(), alpha=1 - d)


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


# ---- data
rng = np.random.default_rng(args.seed)
torch.manual_seed(args.seed)
t0 = time.time()
items = load_split(args.sets.split(","), "train")
for spec in filter(None, args.repeat.split(",")):
    name, times = spec.split(":")
    extra = [it for it in items if os.path.relpath(it[0], DATA).split(os.sep)[0] == name]
    items += extra * (int(times) - 1)
    log(f"--repeat: {name} x{times} ({len(extra)} images)")
if args.hard_negatives:
    hn_file, hn_times = args.hard_negatives.rsplit(":", 1)
    wanted = set(l.strip() for l in open(hn_file) if l.strip())
    extra = [it for it in items if os.path.relpath(it[0], DATA) in wanted]
    items += extra * (int(hn_times) - 1)
    log(f"--hard-negatives: {len(extra)} of {len(wanted)} listed images x{hn_times}")
unlabelled_extra = {}
if args.fog_list:
    items, unlabelled_extra, fog_counts = apply_fog_list(items, read_fog_list(args.fog_list), NAMES.index("smoke"))
    log(f"--fog-list {args.fog_list}: {fog_counts} (counted with --repeat copies)")
ds = TrainSet(items, args.size, paste_prob=args.paste, unlabelled_extra=unlabelled_extra)
log(f"copy-paste bank: {len(ds.bank)} fire instances, p={args.paste}")
n_lab = sum(len(x[2]) for x in items)
log(f"loaded {len(items)} train images ({n_lab} boxes) in {time.time() - t0:.0f}s; classes {NAMES}")
steps_per_epoch = len(items) // args.batch
total_steps = steps_per_epoch * args.epochs

# ---- model / optimizer
model = load_teacher(TEACHER, NUM_CLASSES, CLASS_MAP) if os.path.exists(TEACHER) else YOLOXNano(NUM_CLASSES)
frozen = [f for f in args.freeze.split(",") if f]
for n, p in model.named_parameters():
    if any(n.startswith(f"backbone.backbone.{f}.") for f in frozen):
        p.requires_grad_(False)
model.to(DEVICE)  # before the optimizer and the EMA copy, so both live where the weights do
decay, no_decay = [], []
for n, p in model.named_parameters():
    (no_decay if n.endswith(".bias") else decay).append(p)
opt = torch.optim.SGD([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                      lr=args.lr, momentum=0.9, nesterov=True)
ema = EMA(model)
epoch, step, best = 0, 0, -1.0

if args.init and not args.resume:
    ck = torch.load(args.init, map_location="cpu")
    w = {k: v.float() for k, v in (ck.get("ema") or ck["model"]).items()}
    model.load_state_dict(w)
    ema.ema = {k: v.clone().to(DEVICE) for k, v in w.items()}
    ema.updates = 20000  # the EMA already tracks trained weights: full decay from the first step
    log(f"--init {args.init}: EMA weights of epoch {ck.get('epoch')}, fresh optimizer and {args.epochs}-epoch schedule")

resume = args.resume
if resume == "auto":
    # A fresh clone has no RUN/last.pt: the run's packed checkpoint in git (checkpoints/<run name>.pt) continues it.
    cands = [os.path.join(args.run, "last.pt"), os.path.join(HERE, "checkpoints", os.path.basename(os.path.normpath(args.run)) + ".pt"),
             os.path.join(HERE, "checkpoints", "latest.pt")]
    resume = next((c for c in cands if os.path.exists(c)), None)
    if resume is None:
        log("--resume: no checkpoint found, starting from the teacher")
if resume:
    ck = torch.load(resume, map_location="cpu")
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    ema.ema = {k: v.float().clone().to(DEVICE) for k, v in ck["ema"].items()}
    ema.updates = ck["ema_updates"]
    opt.load_state_dict(ck["optimizer"])  # moves the momentum buffers to the parameters' device
    for st in opt.state.values():
        for k, v in st.items():
            if torch.is_tensor(v) and v.is_floating_point():
                st[k] = v.float()
    epoch, step, best = ck["epoch"], ck["step"], ck.get("best", -1.0)
    rng.bit_generator.state = ck["np_rng"]
    torch.set_rng_state(ck["torch_rng"])
    log(f"resumed {resume}: epoch {epoch} step {step}/{steps_per_epoch} best mAP50 {best:.4f}")

loss_fn = YOLOXLoss(NUM_CLASSES, args.size, device=DEVICE)
teacher = None
if args.kd > 0 and os.path.exists(TEACHER):
    teacher = load_teacher(TEACHER, NUM_CLASSES, CLASS_MAP).eval().to(DEVICE)  # retained COCO rows = the teacher's own
    for p in teacher.parameters():
        p.requires_grad_(False)


def on_cpu(obj):
    """Checkpoints hold CPU tensors whatever trained them: one format, resumable anywhere."""
    if torch.is_tensor(obj):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: on_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(on_cpu(v) for v in obj)
    return obj


def state():
    return {"model": on_cpu(model.state_dict()), "ema": on_cpu(ema.ema), "ema_updates": ema.updates, "optimizer": on_cpu(opt.state_dict()),
            "epoch": epoch, "step": step, "best": best, "np_rng": rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(), "args": vars(args), "classes": NAMES, "num_classes": NUM_CLASSES}


stop = {"flag": False}


def on_signal(signum, frame):
    stop["flag"] = True
    log(f"signal {signum}: checkpointing and stopping after this step")


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def lr_at(it):
    if it < args.warmup:
        return args.lr * (it + 1) / args.warmup
    p = (it - args.warmup) / max(1, total_steps - args.warmup)
    return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))


def run_eval():
    from evaluate import load_valid, predict, evaluate, summary, table
    global valid_items
    if "valid_items" not in globals():
        valid_items = load_valid()
    m = YOLOXNano(NUM_CLASSES)
    m.load_state_dict(ema.ema)  # copies from wherever the EMA lives
    m.eval().to(DEVICE)
    t = time.time()
    with torch.no_grad():
        preds = predict(lambda x: m(torch.from_numpy(x).to(DEVICE)).cpu(), valid_items, size=args.size)
    res = evaluate(preds, valid_items)
    s = summary(res)
    log(f"eval epoch {epoch}: {json.dumps(s)} ({time.time() - t:.0f}s)\n" + table(res))
    return s["map50_all"], res


last_ckpt = time.time()
t_start = time.time()
steps_done = 0
log(f"training: {steps_per_epoch} steps/epoch x {args.epochs} epochs, batch {args.batch}, lr {args.lr}, "
    f"size {args.size}, threads {args.threads}, seed {args.seed}, device {DEVICE}"
    + (f" ({torch.cuda.get_device_name(DEVICE)})" if DEVICE.type == "cuda" else ""))
model.train()
while epoch < args.epochs and not stop["flag"]:
    perm = np.random.default_rng(args.seed * 1000 + epoch).permutation(len(items))
    mosaic = epoch < args.epochs - args.no_mosaic_epochs
    agg = {"loss": 0.0, "iou": 0.0, "obj": 0.0, "cls": 0.0, "kd": 0.0, "fg": 0.0, "n": 0}
    t_ep = time.time()
    while step < steps_per_epoch:
        it = epoch * steps_per_epoch + step
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        ids = perm[step * args.batch:(step + 1) * args.batch]
        imgs, labs, igns = ds.batch(ids, rng, mosaic)
        x = torch.from_numpy(imgs).to(DEVICE, non_blocking=True)
        t_out = None
        if teacher is not None:
            with torch.no_grad():
                t_out = teacher(x)
        raw = model.forward_raw(x)
        loss, parts = loss_fn(raw, [torch.from_numpy(l).to(DEVICE) for l in labs], t_out, N_OWN, args.kd, ignore=igns)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        steps_done += 1
        agg["loss"] += float(loss); agg["n"] += 1
        for k in ("iou", "obj", "cls", "kd", "fg"):
            agg[k] += parts[k]
        if step % 20 == 0 or step == steps_per_epoch:
            el = time.time() - t_start
            ips = steps_done * args.batch / el
            left = (total_steps - it - 1) * args.batch / max(ips, 1e-9)
            n = agg["n"]
            log(f"epoch {epoch + 1}/{args.epochs} step {step}/{steps_per_epoch} loss {agg['loss'] / n:.3f} "
                f"(iou {agg['iou'] / n:.3f} obj {agg['obj'] / n:.3f} cls {agg['cls'] / n:.3f} kd {agg['kd'] / n:.3f} fg/img {agg['fg'] / n:.1f}) "
                f"lr {lr_at(it):.5f} {ips:.1f} img/s ETA {left / 3600:.1f} h")
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save(os.path.join(args.run, "last.pt"), state())
            last_ckpt = time.time()
            log(f"checkpoint {args.run}/last.pt (epoch {epoch} step {step})")
        if stop["flag"] or (args.max_steps and steps_done >= args.max_steps):
            stop["flag"] = True
            break
    if step >= steps_per_epoch:
        epoch += 1
        step = 0
        log(f"epoch {epoch} done in {(time.time() - t_ep) / 60:.1f} min")
        if args.eval_every and (epoch % args.eval_every == 0 or epoch == args.epochs):
            score, res = run_eval()
            if score > best:
                best = score
                save(os.path.join(args.run, "best.pt"), {"ema": on_cpu(ema.ema), "epoch": epoch, "map50_all": score,
                                                         "eval": res, "classes": NAMES, "num_classes": NUM_CLASSES})
                log(f"new best mAP50 {score:.4f} -> {args.run}/best.pt")
    save(os.path.join(args.run, "last.pt"), state())
    last_ckpt = time.time()
    log(f"checkpoint {args.run}/last.pt (epoch {epoch} step {step})")
log("stopped" if stop["flag"] else "finished")
