"""Bundled sample feeds for ``newswatch demo``: four fictional outlets, written for this project.

The documents are dated around ``newswatch.demo.SAMPLE_ANCHOR``; the demo shifts every date so
the anchor becomes "now" when it serves them, which keeps them inside ``alert_max_age``.
"""
