"""Inference engine: frames and object names in, per-frame label maps out.

* :mod:`.postprocess` - the official post-processing steps (query choice, gate, label merge).
* :mod:`.preprocess`, :mod:`.prompts`, :mod:`.tokenizer`, :mod:`.device` - official inputs.
* :mod:`.engine` - runs the network over a clip in the official 36-frame windows, encoding the
  frames once per window and decoding all objects as one batch.
* :mod:`.result` - what a run keeps (low-resolution logits, gate scores); label maps on demand.
* :mod:`.loader` - an engine from an official ``.pth`` or a saved model folder.
"""

from actionvos.engine.engine import WINDOW, Engine, windows
from actionvos.engine.loader import attach_tokenizer, load_engine
from actionvos.engine.prompts import build_prompt, build_prompts
from actionvos.engine.result import EngineResult, WindowResult

__all__ = [
    "WINDOW",
    "Engine",
    "EngineResult",
    "WindowResult",
    "attach_tokenizer",
    "build_prompt",
    "build_prompts",
    "load_engine",
    "windows",
]
