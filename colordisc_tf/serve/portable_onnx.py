"""The ONNX file of a Part (colordisc_tf.serve.portable_export): tf2onnx, then two rewrites that
make the graph what a deployment engineer would write by hand, and the int8 file.

Where ONNX Runtime spent the time in tf2onnx's plain conversion (width 1.0, 256², its profiler
and `onnx` graph inspection, benchmarks/export_inference.py --profile): 627 nodes, 28 Transposes.
TensorFlow computes a dilated convolution as SpaceToBatchND -> Conv2D -> BatchToSpaceND with
paddings worked out at run time, and tf2onnx's own dilation rewriter only folds constant paddings,
so each of the six dilated convs became Transpose / SpaceToDepth / DepthToSpace chains with their
shape arithmetic. And the decode ran LogSoftmax and Softmax across the channel axis of an NCHW
tensor (strided) before a Tensordot. After the rewrites: 219 nodes, 4 Transposes, the decode one
exp and one 1x1 Conv (docs/deploy.md, Speed, has the times).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ONNX_OPSET", "DIMS", "onnx_bytes", "rewrite_dynamic_dilations", "decode_as_one_conv",
           "quantized_onnx_bytes"]

#: ONNX Runtime runs opset 17 from 1.13 (2022) on, in every language it binds.
ONNX_OPSET = 17
#: symbolic dimension names the ONNX files carry (their runtimes show them to users)
DIMS = {"L": ("N", "H", "W"), "ab": ("N", "H", "W"), "lab": ("N", "H", "W"), "realness": ("N",),
        "realness_map": ("N", "h", "w")}


def onnx_bytes(part) -> bytes:
    """part's function as an ONNX model (ExportRefused for ops ONNX has no form of)."""
    import onnx
    import tf2onnx

    from colordisc_tf.serve.portable_export import ExportRefused

    tf2onnx.logging.set_level(tf2onnx.logging.ERROR)
    model, _ = tf2onnx.convert.from_function(part.function, part.function.input_signature, opset=ONNX_OPSET,
                                             custom_rewriter=[rewrite_dynamic_dilations])
    # tf2onnx writes a TensorFlow op it has no rule for into the graph as is (and logs it).
    unknown = sorted({node.op_type for node in model.graph.node if not onnx.defs.has(node.op_type, node.domain)})
    if unknown:
        raise ExportRefused(f"tf2onnx has no ONNX form of the {part.role}'s TensorFlow op(s) {', '.join(unknown)}")
    decode_as_one_conv(model)
    graph_input = model.graph.input[0]
    if graph_input.name != part.input_name:  # tf.function lower-cases argument names ("L" -> "l")
        for node in model.graph.node:
            node.input[:] = [part.input_name if name == graph_input.name else name for name in node.input]
        graph_input.name = part.input_name
    for value in [*model.graph.input, *model.graph.output]:
        for dim, label in zip(value.type.tensor_type.shape.dim, DIMS.get(value.name, ())):
            dim.dim_param = label
    model.doc_string = f"colordisc {part.role} ({__name__}; contract: docs/deploy.md)"
    return model.SerializeToString()


# -- dilated convolutions -----------------------------------------------------------------------

def _const(node):
    return np.asarray(node.get_tensor_value(as_list=False)) if node.is_const() else None


def _element(node):
    """(source, i) where node is StridedSlice(source, [i], [i + 1], [1]) taking one element, else None."""
    if node.type != "StridedSlice" or node.get_attr_value("shrink_axis_mask", 0) != 1:
        return None
    begin, end, step = (_const(n) for n in node.inputs[1:4])
    if begin is None or end is None or step is None or begin.shape != (1,) or end.shape != (1,):
        return None
    return (node.inputs[0], int(begin[0])) if end[0] == begin[0] + 1 and step[0] == 1 else None


def _rows(pack, dims: int):
    """Pack(Pack(start, end) per spatial dimension) -> [(start, end)] nodes, else None."""
    if pack.type != "Pack" or len(pack.inputs) != dims:
        return None
    if any(row.type != "Pack" or len(row.inputs) != 2 for row in pack.inputs):
        return None
    return [tuple(row.inputs) for row in pack.inputs]


def _explicit_pads(space_to_batch, batch_to_space, dims: int):
    """The pads (begin per dim, end per dim) that make SpaceToBatchND -> Conv2D(VALID) ->
    BatchToSpaceND one dilated convolution, or None unless the run-time amounts have the form
    TensorFlow's required_space_to_batch_paddings gives them: pad (start, base_end + extra), crop
    (0, extra), start and base_end constants and extra the same tensor in both. Then the pad of
    `extra` at the end only feeds outputs the crop removes."""
    pad_rows, crop_rows = _rows(space_to_batch.inputs[2], dims), _rows(batch_to_space.inputs[2], dims)
    if pad_rows is None or crop_rows is None:
        return None
    begins, ends = [], []
    for i, ((start, end), (crop_start, crop_end)) in enumerate(zip(pad_rows, crop_rows)):
        if _const(start) is None or _const(crop_start) is None or int(_const(crop_start)) != 0:
            return None
        padded, cropped = _element(end), _element(crop_end)
        if padded is None or cropped is None or padded[1] != i or cropped[1] != i or padded[0].type != "AddV2":
            return None
        base = [_const(n) for n in padded[0].inputs]
        extra = [n for n, value in zip(padded[0].inputs, base) if value is None]
        if len(extra) != 1 or extra[0] is not cropped[0]:
            return None
        begins.append(int(_const(start)))
        ends.append(int(next(value for value in base if value is not None).reshape(-1)[i]))
    return begins, ends


def rewrite_dynamic_dilations(g, ops):
    """tf2onnx rewriter: TensorFlow's SpaceToBatchND -> Conv2D -> BatchToSpaceND with run-time
    paddings (a dilated conv on an input of unknown size) as one Conv2D with dilations."""
    from tf2onnx.graph_matcher import GraphMatcher, OpTypePattern

    pattern = OpTypePattern("BatchToSpaceND", name="batch_to_space", inputs=[
        OpTypePattern("Conv2D", name="conv", inputs=[
            OpTypePattern("SpaceToBatchND", name="space_to_batch",
                          inputs=[OpTypePattern("*"), OpTypePattern("Const|ConstV2"), OpTypePattern("Pack")]),
            OpTypePattern("*")]),
        OpTypePattern("Const|ConstV2"), OpTypePattern("Pack")])
    for match in list(GraphMatcher(pattern, allow_reorder=False).match_ops(ops)):
        space_to_batch, conv, batch_to_space = (match.get_op(n) for n in ("space_to_batch", "conv", "batch_to_space"))
        block = _const(space_to_batch.inputs[1]).tolist()
        if (block != _const(batch_to_space.inputs[1]).tolist() or conv.get_attr_value("padding") != b"VALID"
                or conv.get_attr_value("data_format", b"NHWC") != b"NHWC" or len(block) != 2):
            continue
        pads = _explicit_pads(space_to_batch, batch_to_space, len(block))
        if pads is None:
            continue
        begins, ends = pads
        g.replace_inputs(conv, [space_to_batch.input[0], conv.input[1]])
        g.copy_shape(batch_to_space.output[0], conv.output[0])
        g.replace_all_inputs(batch_to_space.output[0], conv.output[0])
        conv.set_attr("dilations", [1, *block, 1])
        conv.set_attr("padding", "EXPLICIT")
        conv.set_attr("explicit_paddings", [0, 0, begins[0], ends[0], begins[1], ends[1], 0, 0])
    return g.get_nodes()


# -- the decode ---------------------------------------------------------------------------------

def _initializer(model, name):
    from onnx import numpy_helper

    found = [init for init in model.graph.initializer if init.name == name]
    return numpy_helper.to_array(found[0]) if found else None


def decode_as_one_conv(model) -> bool:
    """The annealed mean as tf2onnx writes it (LogSoftmax -> * 1/T -> Softmax across the channels
    of NCHW logits -> Transpose -> Tensordot with the bins -> Transpose back for the resize) as
    e = exp((x - max x) / T), then one 1x1 Conv with the bins and a row of ones as its 3 filters:
    [sum e a, sum e b, sum e], and ab = the first two over the third -- softmax(log_softmax(x) / T)
    = softmax(x / T), so the same numbers, without the strided channel-axis passes. A confidence gate
    (Decoding.confidence_power: a Mul between the Tensordot and the transpose back) multiplies the
    new ab, its (B, h, w, 1) transposed to NCHW. In place; False (the graph untouched) where the
    pattern is not there (the l2 head, a discriminator)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only_consumer(name, op_type):
        found = consumers.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op_type else None

    def axis(node):
        return next((a.i for a in node.attribute if a.name == "axis"), None)

    for softmax in [n for n in graph.node if n.op_type == "Softmax" and axis(n) == 1]:
        scale = producer.get(softmax.input[0])
        log_softmax = producer.get(scale.input[0]) if scale is not None and scale.op_type == "Mul" else None
        if log_softmax is None or log_softmax.op_type != "LogSoftmax" or axis(log_softmax) != 1:
            continue
        inverse_t = _initializer(model, scale.input[1])
        readers = consumers.get(softmax.output[0], [])
        to_nhwc = next((n for n in readers if n.op_type == "Transpose"), None)
        # tf2onnx's Tensordot also reads the probabilities' shape: the logits have the same one
        shape_readers = [n for n in readers if to_nhwc is None or n.name != to_nhwc.name]
        if to_nhwc is None or any(n.op_type != "Shape" for n in shape_readers):
            continue
        if only_consumer(log_softmax.output[0], "Mul") is None or only_consumer(scale.output[0], "Softmax") is None:
            continue
        flat = to_nhwc and only_consumer(to_nhwc.output[0], "Reshape")
        matmul = flat and only_consumer(flat.output[0], "MatMul")
        unflat = matmul and only_consumer(matmul.output[0], "Reshape")
        to_nchw = unflat and only_consumer(unflat.output[0], "Transpose")
        # a confidence_power multiplies the NHWC ab by a (B, h, w, 1) gate, computed from the logits
        # with exp and sums (keras_ops.confidence), between the Tensordot and the transpose back
        gate_mul = unflat and to_nchw is None and only_consumer(unflat.output[0], "Mul")
        to_nchw = to_nchw or (gate_mul and only_consumer(gate_mul.output[0], "Transpose"))
        gate = gate_mul and next(i for i in gate_mul.input if i != unflat.output[0])
        bins = _initializer(model, matmul.input[1]) if matmul else None
        if inverse_t is None or inverse_t.size != 1 or to_nchw is None or bins is None or bins.ndim != 2:
            continue
        perms = [list(next(a.ints for a in t.attribute if a.name == "perm")) for t in (to_nhwc, to_nchw)]
        if perms != [[0, 2, 3, 1], [0, 3, 1, 2]] or bins.shape[1] != 2:
            continue
        logits, ab, stem = log_softmax.input[0], to_nchw.output[0], "decode_as_one_conv"
        filters = np.concatenate([bins.T, np.ones((1, bins.shape[0]), bins.dtype)])[:, :, None, None]
        constants = {"filters": filters.astype(np.float32), "inverse_t": np.asarray(inverse_t, np.float32).reshape(()),
                     "axis": np.array([1], np.int64), "zero": np.array([0], np.int64),
                     "two": np.array([2], np.int64), "three": np.array([3], np.int64)}
        graph.initializer.extend(numpy_helper.from_array(v, f"{stem}/{k}") for k, v in constants.items())

        def node(op, inputs, output, **attributes):
            return helper.make_node(op, [i if i in (logits, gate) else f"{stem}/{i}" for i in inputs],
                                    [output if output == ab else f"{stem}/{output}"], name=f"{stem}/{output}",
                                    **attributes)

        new = [node("ReduceMax", [logits], "max", axes=[1], keepdims=1),
               node("Sub", [logits, "max"], "shifted"),
               node("Mul", ["shifted", "inverse_t"], "annealed"),
               node("Exp", ["annealed"], "weights"),
               node("Conv", ["weights", "filters"], "sums", kernel_shape=[1, 1]),  # [sum e a, sum e b, sum e]
               node("Slice", ["sums", "zero", "two", "axis"], "weighted"),
               node("Slice", ["sums", "two", "three", "axis"], "total")]
        if gate:
            new += [node("Div", ["weighted", "total"], "ungated"),
                    node("Transpose", [gate], "gate_nchw", perm=[0, 3, 1, 2]),
                    node("Mul", ["ungated", "gate_nchw"], ab)]
        else:
            new.append(node("Div", ["weighted", "total"], ab))
        names = [n.name for n in graph.node]
        replaced = (log_softmax, scale, softmax, to_nhwc, flat, matmul, unflat, to_nchw) + ((gate_mul,) if gate else ())
        removed = {n.name for n in replaced}
        if len(removed) != len(replaced) or len(set(names)) != len(names):
            return False
        for reader in shape_readers:
            reader.input[0] = logits
        kept = [_copy(n) for n in graph.node if n.name not in removed]
        # before the first reader of ab: by then the logits and the gate are computed (the order is topological)
        position = next((k for k, n in enumerate(kept) if ab in n.input), len(kept))
        del graph.node[:]
        graph.node.extend(kept[:position] + new + kept[position:])
        _prune(model)
        return True
    return False


def _copy(node):
    import onnx

    copy = onnx.NodeProto()
    copy.CopyFrom(node)
    return copy


def _prune(model) -> None:
    """Drops the nodes and initializers no output depends on (the decode's old shape arithmetic)."""
    graph = model.graph
    needed = {out.name for out in graph.output}
    kept = []
    for node in reversed(list(graph.node)):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    kept = [_copy(node) for node in reversed(kept)]
    del graph.node[:]
    graph.node.extend(kept)
    initializers = [init for init in graph.initializer if init.name in needed]
    initializers = [type(init).FromString(init.SerializeToString()) for init in initializers]
    del graph.initializer[:]
    graph.initializer.extend(initializers)


# -- int8 ---------------------------------------------------------------------------------------

#: what int8 computes: the network's convolutions. The decode (its exp and the bins' Conv), the
#: resize and the discriminator's sigmoid stay float32.
QUANTIZED_OPS = ("Conv", "ConvTranspose")


def quantized_onnx_bytes(data: bytes, part, calibration) -> bytes:
    """ONNX Runtime's static QDQ quantization of the float file: int8 weights (per output channel),
    uint8 activations with ranges calibrated (min/max) on `calibration`, a list of [N, H, W, C]
    float32 inputs. Its colour cost is measured by the caller (portable_quality)."""
    import os
    import tempfile

    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    class Inputs(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{part.input_name: np.asarray(x, np.float32)} for x in calibration])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder:
        source, target = os.path.join(folder, "float.onnx"), os.path.join(folder, "int8.onnx")
        with open(source, "wb") as f:
            f.write(data)
        quantize_static(source, target, Inputs(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=list(QUANTIZED_OPS), nodes_to_exclude=["decode_as_one_conv/sums"],
                        calibrate_method=CalibrationMethod.MinMax)
        with open(target, "rb") as f:
            return f.read()
