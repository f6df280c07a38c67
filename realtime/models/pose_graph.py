"""MediaPipe Pose's graph, reshaped before it is built.

`SolutionBase` expands the pose graph and then calls `_modify_calculator_options` on the
expanded config (the hook it uses for its own options); a subclass of `mp.solutions.pose.Pose`
changes the config there:

- **threads**: the InferenceCalculator nodes get XNNPACK's `num_threads`;
- **the mask's crop** (`roi_mask`): the graph's segmentation output is the landmark model's own
  256×256 mask of its crop (`TensorsToSegmentation`), not that mask warped onto the whole frame
  (`WarpAffine`) and smoothed; the nodes that did that are removed, and the crop's rectangle
  (`pose_rect`) is read out beside it. `realtime.analysis.roi_mask.RoiMask` reads the crop at
  frame pixels as the warp would have. 720×1280: the model's CPU time a frame with the mask
  falls from 30.8 to 24.4 ms (without the mask 22.4; `bench/roi_mask.py`, one run).
"""

from __future__ import annotations

#: The mask of the landmark model's crop, before the warp onto the frame.
ROI_MASK_STREAM = "poselandmarkbyroicpu__roi_segmentation_mask"
#: The crop's rectangle (`NormalizedRect`), the landmark model's input for the frame.
ROI_RECT_STREAM = "pose_rect"
#: Nodes that turn the crop's mask into a frame-sized one (the warp, then the smoothing).
_FRAME_MASK_CALCULATORS = ("WarpAffineCalculator", "SegmentationSmoothingCalculator")
_FRAME_MASK_PREFIX = "posesegmentationfiltering__"


def pose_solution(base: type, threads: int | None = None, roi_mask: bool = False) -> type:
    """MediaPipe's `Pose` class (`base`), or a subclass whose graph runs inference on `threads`
    threads and/or hands back the mask's crop (`roi_mask`; then the results also have
    `pose_rect`; use it only with the mask on and its smoothing off)."""
    if threads is None and not roi_mask:
        return base

    class ShapedPose(base):
        def _initialize_graph_interface(self, validated_graph, side_inputs=None, outputs=None,
                                        stream_type_hints=None):
            if roi_mask:
                outputs = [*(outputs or []), ROI_RECT_STREAM]
            return super()._initialize_graph_interface(validated_graph, side_inputs, outputs, stream_type_hints)

        def _modify_calculator_options(self, graph_config, calculator_params) -> None:
            super()._modify_calculator_options(graph_config, calculator_params)
            if threads is not None:
                set_inference_threads(graph_config, threads)
            if roi_mask:
                output_crop_mask(graph_config)

    return ShapedPose


def set_inference_threads(graph_config: object, threads: int) -> None:
    """Give every InferenceCalculator of the expanded graph XNNPACK's `num_threads`."""
    from mediapipe.calculators.tensor.inference_calculator_pb2 import InferenceCalculatorOptions

    for node in graph_config.node:
        if node.calculator.startswith("InferenceCalculator"):
            node.options.Extensions[InferenceCalculatorOptions.ext].delegate.xnnpack.num_threads = threads


def output_crop_mask(graph_config: object) -> None:
    """Rewire the expanded pose graph so that `segmentation_mask` is the crop's mask, and
    drop the nodes that warped and smoothed it onto the frame."""
    kept, rewired = [], False
    for node in graph_config.node:
        if node.calculator in _FRAME_MASK_CALCULATORS or node.name.startswith(_FRAME_MASK_PREFIX):
            continue
        if node.calculator == "FromImageCalculator" and list(node.output_stream) == ["IMAGE_CPU:segmentation_mask"]:
            node.input_stream[:] = [f"IMAGE:{ROI_MASK_STREAM}"]
            rewired = True
        kept.append(node)
    if not rewired:
        raise RuntimeError("MediaPipe's pose graph has no FromImageCalculator for segmentation_mask "
                           "(a mediapipe other than 0.10.21?)")
    del graph_config.node[:]
    graph_config.node.extend(kept)
