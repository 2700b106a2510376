"""Inference engine: frames and object names in, per-frame label maps out.

``postprocess`` holds the official post-processing steps; ``engine`` runs the network over a
clip in the official 36-frame windows, batching the objects of a window.
"""
