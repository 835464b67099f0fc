"""The payload meter (a web component: meter.js, and its Python wrappers in meter.py)."""
