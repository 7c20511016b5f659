"""Using a trained model: inference on whole images or tiles (:mod:`.inference`) with an exact fused CPU path
(:mod:`.fused`), ONNX export checked with ONNX Runtime (:mod:`.export`), and the authors' released models by name
(:mod:`.pretrained`). The names are in :mod:`tinysr` (``tinysr.super_resolve``, ``tinysr.pretrained``)."""

__all__: list[str] = []
