"""The experiment side: run records, running one configuration, campaigns and their backends,
reports, statistics, figures and the E-GAN mode-collapse toy. See README.md in this folder."""
