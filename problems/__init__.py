"""Benchmark problems, with locally generated reference fronts."""
