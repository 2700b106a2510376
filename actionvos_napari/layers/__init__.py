"""How ActionVOS data and model output become napari layers, and edits of them come back."""
