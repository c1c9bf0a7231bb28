"""Evaluation: conlleval-exact chunk scoring and tag schemes (`chunks`), label, string and
regression metrics (`metrics`), and report rendering and writing (`report`)."""
