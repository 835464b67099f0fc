"""The payload meter (a web component: meter.js, and its Python wrappers in meter.py).

Copy this folder into any Mesop app: `from meter import payload_meter`, then `payload_meter()`
inside a page. It imports nothing but Mesop.
"""

from .meter import payload_comparison, payload_meter

__all__ = ["payload_comparison", "payload_meter"]
