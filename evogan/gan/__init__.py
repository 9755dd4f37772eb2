"""Everything neural: the GAN operators and the trainers and networks behind them.

Only modules under `evogan.gan` import torch at import time (and `evogan.lab.toy`, the mode-collapse
benchmark of the E-GAN trainer); the rest of evogan loads them when a GAN algorithm is built.
See README.md in this folder for which file holds what.
"""
