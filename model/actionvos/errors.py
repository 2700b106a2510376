"""Errors a user can act on.

Every message says what is wrong and what to do about it; the CLI prints it without a
traceback and the napari widget shows it in a notification.
"""


class ActionVOSError(Exception):
    """Base class for errors caused by the user's input or environment, not by a bug."""


class ClipError(ActionVOSError, ValueError):
    """A video, frame folder or dataset layout cannot be read."""


class CheckpointError(ActionVOSError, ValueError):
    """A checkpoint does not fit the network it is loaded into."""


class StoreError(ActionVOSError):
    """A label store cannot be opened or written safely; nothing on disk was changed."""


class InputError(ActionVOSError, ValueError):
    """Bad arguments: empty narration, unknown names, wrong sizes."""


class DeviceMemoryError(ActionVOSError):
    """The accelerator ran out of memory: a smaller job (or the CPU) will fit."""


class Cancelled(ActionVOSError):
    """Long work stopped because the user asked it to."""
