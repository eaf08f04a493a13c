"""Copy of a fixed-batch-1 YOLOX ONNX export with a dynamic batch axis, for bench:throughput's batch sweep.

Usage: dynamic-batch.py IN.onnx OUT.onnx
The input's and output's first dimension become the symbol "batch", and every Reshape whose constant target
shape starts with 1 gets 0 there instead (ONNX: copy that dimension from the input), which is all a YOLOX
head hard-codes. Exits 3 when the graph has something else batch-specific it cannot rewrite. The caller
checks the variant's outputs against the original before using it.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    consts = {}
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = a
    for vi in list(g.input) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if not dims or dims[0].dim_value not in (1, 0):
            print(f"{vi.name}: first dimension is not 1", file=sys.stderr)
            return 3
        dims[0].ClearField("dim_value")
        dims[0].dim_param = "batch"
    for n in g.node:
        if n.op_type in ("Expand", "Tile", "ConstantOfShape"):
            print(f"{n.op_type} {n.name}: not rewritten", file=sys.stderr)
            return 3
        if n.op_type != "Reshape":
            continue
        name = n.input[1]
        if name in inits:
            arr = numpy_helper.to_array(inits[name]).copy()
            if arr.size and arr[0] == 1:
                arr[0] = 0
                inits[name].CopyFrom(numpy_helper.from_array(arr.astype(np.int64), name))
        elif name in consts:
            arr = numpy_helper.to_array(consts[name].t).copy()
            if arr.size and arr[0] == 1:
                arr[0] = 0
                consts[name].t.CopyFrom(numpy_helper.from_array(arr.astype(np.int64)))
        else:
            print(f"Reshape {n.name}: computed shape, not rewritten", file=sys.stderr)
            return 3
    # Shapes inferred for the fixed batch would contradict the new symbol.
    del g.value_info[:]
    onnx.save(m, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
