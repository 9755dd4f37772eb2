"""evogan: evolutionary optimisation with GANs as variation operators."""
