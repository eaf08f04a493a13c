"""Per-class score thresholds of the manifest, from evaluate.py's per-class results.

The rule (export.py applies it at every export): the F1-optimal score on the valid splits; for alarm classes (those
with a violation) raised to the lowest score with precision >= 0.7 where that keeps recall >= 0.3; clamped to
[0.25, 0.7]. Under MIN_GT boxes the F1 optimum is noise, so such a class takes the same rule from a pooled evaluation
(evaluate.py --split train+valid) when one is given and holds enough boxes there, else the 0.35 default. Only the
teacher-labelled COCO classes are that sparse (the valid splits hold 4-11 boxes of bench, umbrella, chair, dining
table): their labels are the teacher's pseudo-labels on every split alike, which is what makes the train splits
usable for them.

Rewrite the thresholds of an existing manifest without exporting again (its ONNX and sha256 stay):
  /usr/bin/python3 thresholds.py --manifest ../patrol-det.json --eval-json valid.json --pooled-eval-json pooled.json \\
      --sparse-only --version 0.3.4
"""
import argparse
import json
import sys

from common import CLASSES, write_manifest

MIN_GT = 20
DEFAULT = 0.35
ALARM = {n for n, v, _ in CLASSES if v}


def rule(name, v):
    """evaluate.py's result for one class -> its threshold by the rule above, or None when it holds under MIN_GT boxes."""
    if "f1_thr" not in v or v.get("n_gt", 0) < MIN_GT:
        return None
    t = v["f1_thr"]
    # Alarm classes reach people: where the split allows precision >= 0.7 (IoU 0.5) and keeps 30 % of the objects,
    # operate there instead of at the F1 optimum. bench:events showed why: at the F1 optimum sunlit leaves (fire 0.33)
    # and steam (smoke 0.31) opened burning events.
    if name in ALARM and v.get("r_at_p70", 0) >= 0.3:
        t = max(t, v["p70_thr"])
    return float(min(0.7, max(0.25, round(t, 2))))


def thresholds(valid, pooled=None):
    """valid, pooled: {class name: evaluate.py result}. -> {name: (threshold, where it came from)} for every class."""
    out = {}
    for name, _, _ in CLASSES:
        t = rule(name, valid[name]) if name in valid else None
        if t is not None:
            out[name] = (t, "valid")
            continue
        t = rule(name, pooled[name]) if pooled and name in pooled else None
        out[name] = (t, "train+valid") if t is not None else (DEFAULT, "default")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True, help="the manifest to rewrite (patrol-det.json)")
    ap.add_argument("--eval-json", required=True, help="evaluate.py --json on the valid splits")
    ap.add_argument("--pooled-eval-json", required=True, help="evaluate.py --split train+valid --json")
    ap.add_argument("--sparse-only", action="store_true",
                    help="change only the classes the valid splits hold under MIN_GT boxes of (the others keep the "
                         "thresholds the manifest's own export chose)")
    ap.add_argument("--version", required=True, help="the manifest's new version")
    args = ap.parse_args()
    valid = json.load(open(args.eval_json))["classes"]
    pooled = json.load(open(args.pooled_eval_json))["classes"]
    manifest = json.load(open(args.manifest))
    new = thresholds(valid, pooled)
    changed = []
    for c in manifest["classes"]:
        t, source = new[c["name"]]
        if args.sparse_only and source != "train+valid":
            continue
        if t != c["threshold"]:
            n_gt = (pooled if source == "train+valid" else valid).get(c["name"], {}).get("n_gt", 0)
            changed.append(f"{c['name']} {c['threshold']} -> {t} ({source}, {n_gt} boxes)")
            c["threshold"] = t
    manifest["version"] = args.version
    if changed:
        manifest["provenance"] += (f" {args.version}: thresholds of the classes the valid splits hold under {MIN_GT} "
                                   f"boxes of, by the same rule on the train+valid splits: {'; '.join(changed)}.")
    write_manifest(args.manifest, manifest)
    print("\n".join(changed) or "no threshold changed")
    print(f"wrote {args.manifest} (version {args.version})")


if __name__ == "__main__":
    sys.exit(main())
