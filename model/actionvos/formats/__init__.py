"""Importers and exporters between the label store and other annotation formats.

VISOR sparse JSON, VISOR-HOS boxes, EPIC-100 narrations, the ActionVOS dataset layout,
COCO RLE and DAVIS palette-PNG folders. Every import is all or nothing: a bad file raises
InputError naming it, and the store is left as it was.
"""
