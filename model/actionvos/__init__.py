"""ActionVOS core: napari-free, Qt-free. Runs on a headless GPU server.

Data flows one way: ``io`` (clip readers) -> ``engine`` (network inference) -> ``store``
(label store) -> the napari plugin's layers.
"""

__version__ = "0.1.0"
