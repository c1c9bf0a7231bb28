"""lstm: a command-line sequence-labelling trainer with its own NumPy LSTM engine."""

__version__ = "0.1.0"
