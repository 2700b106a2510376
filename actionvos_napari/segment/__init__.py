"""The Run part of the widget: the action, the clip, the model run and the objects table."""
