"""StyleTune's training worker. Run `python -m styletune_trainer --help`."""

__version__ = "0.1.0"
