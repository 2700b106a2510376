"""The annotation loop's core: the review order, and a simulated annotator that counts edits.

* :mod:`.review` - the order the widget reviews objects in (reusable by the widget);
* :mod:`.scoring` - the clip's gIoU, kept up to date frame by frame while masks change;
* :mod:`.edits` - the smallest edits a person makes (flag flip, brush stroke, propagation);
* :mod:`.start` - where an annotation starts: empty masks or a model's output;
* :mod:`.simulator` - a bot that edits until the clip reaches a target gIoU;
* :mod:`.saving` - a finished annotation kept in a label store (what fine-tuning reads).
"""
