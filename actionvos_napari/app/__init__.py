"""What the widget's parts share: the session, one long job at a time, the window."""
