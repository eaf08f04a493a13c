#!/usr/bin/env bash
# Judge a checkpoint as a candidate detector the way a shipped one is judged, without touching models/:
#   models/train/candidate.sh CKPT OUT [CROP_CHECK_MANIFEST]
# exports CKPT's EMA weights (export.py: thresholds by the usual rule, ONNX == PyTorch check) to OUT/m/, attaches
# a crop check (the cropCheck block and .onnx of CROP_CHECK_MANIFEST's folder; default: the shipped
# models/patrol-det.json's), then runs bench:real (../shared/data/real), bench:model (valid splits) and bench:events
# (fixtures, file mode) with it into OUT/real, OUT/model, OUT/events, and prints their verdict lines.
# Exit status: 0 when every benchmark ran (targets missed are in the summary, not a failure of this script).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: models/train/candidate.sh CKPT OUT [CROP_CHECK_MANIFEST]" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
ckpt=$(realpath "$1")
out=$(mkdir -p "$2" && realpath "$2")
cc=$(realpath "${3:-$repo/models/patrol-det.json}")
[ -f "$ckpt" ] || { echo "candidate: no checkpoint $ckpt" >&2; exit 2; }
[ -f "$cc" ] || { echo "candidate: no manifest $cc for the crop check" >&2; exit 2; }
mkdir -p "$out/m" "$out/real" "$out/model" "$out/events"

# Thresholds come from an evaluation on the valid splits: a best.pt carries its in-training one; any other
# checkpoint (a last.pt, a GPU run's) is evaluated here first.
eval_args=()
if ! /usr/bin/python3 -c "import sys, torch; sys.exit(0 if torch.load(sys.argv[1], map_location='cpu').get('eval') else 1)" "$ckpt"; then
  echo "evaluate $ckpt (it carries no evaluation)" >&2
  (cd "$repo/models/train" && nice /usr/bin/python3 evaluate.py --ckpt "$ckpt" --json "$out/eval.json") > "$out/eval.log" 2>&1 ||
    { tail -5 "$out/eval.log" >&2; exit 1; }
  eval_args=(--eval-json "$out/eval.json")
fi
echo "export $ckpt -> $out/m" >&2
(cd "$repo/models/train" && nice /usr/bin/python3 export.py --ckpt "$ckpt" "${eval_args[@]}" --out "$out/m/patrol-det.onnx" \
  --version "0.0.0-candidate" --trained "candidate from $(basename "$ckpt")") > "$out/export.log" 2>&1 ||
  { tail -5 "$out/export.log" >&2; exit 1; }
/usr/bin/python3 - "$out/m/patrol-det.json" "$cc" <<'PY'
import json, os, shutil, sys
dst, src = sys.argv[1], sys.argv[2]
m, s = json.load(open(dst)), json.load(open(src))
check = s.get("cropCheck")
if check:
    shutil.copy(os.path.join(os.path.dirname(src), check["file"]), os.path.join(os.path.dirname(dst), os.path.basename(check["file"])))
    m["cropCheck"] = dict(check, file=os.path.basename(check["file"]))
json.dump(m, open(dst, "w"), indent=2)
PY

# bench:real reads the model from a config: the shipped one with only the manifest path changed.
config="$out/config.yaml"
sed "s#manifest: ../models/patrol-det.json#manifest: $out/m/patrol-det.json#" "$repo/config/default.yaml" > "$config"
grep -q "manifest: $out/m/patrol-det.json" "$config" || { echo "candidate: config/default.yaml has no 'manifest: ../models/patrol-det.json' line to replace" >&2; exit 1; }

cd "$repo"
echo "bench:real" >&2
npm run -s bench:real -- --config "$config" --out "$out/real" > "$out/real.txt" 2>&1 || true
echo "bench:model" >&2
npm run -s bench:model -- --model "$out/m/patrol-det.json" --out "$out/model" --skip-latency > "$out/model.txt" 2>&1 || true
echo "bench:events (file mode)" >&2
npm run -s bench:events -- --mode file --model "$out/m/patrol-det.json" --out "$out/events" --name events-file > "$out/events.txt" 2>&1 || true

echo "== $ckpt ($out)"
grep -E "^(ok|MISSED|not measured) |negative stills raising|^clip " "$out/real.txt" || { echo "bench:real did not finish: $out/real.txt" >&2; exit 1; }
grep -E "^MISSED|AP50 (fire|smoke)" "$out/model.txt" | grep -v "vs teacher" || { echo "bench:model did not finish: $out/model.txt" >&2; exit 1; }
grep -E "^\[bench:events\] (stall|dumping|burning|all)|^MISSED" "$out/events.txt" || { echo "bench:events did not finish: $out/events.txt" >&2; exit 1; }
