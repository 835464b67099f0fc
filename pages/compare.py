"""/compare: every pattern's page side by side, live: one button adds the samples to all of them,
another selects the same next image in all of them, and each meter shows what that click cost."""

from __future__ import annotations

import mesop as me

from app import layout
from app.patterns import PATTERNS
from app.side_by_side import side_by_side

EXPLANATION = """
The same gallery, built each way, in frames of the real pages. **Add sample images** fills every
gallery; **Next image** selects the same photo in every one, and the table reads each page's own
payload meter: what that one click sent up, brought down and fetched, on each pattern, and what it
would take on a 4G phone. Watch the first row.
"""


@me.page(
    path=layout.COMPARE,
    title=layout.tab_title("Side by side"),
    security_policy=layout.security_policy(),
)
def compare_page() -> None:
    with layout.frame(title="Side by side, live", path=layout.COMPARE):
        me.markdown(EXPLANATION, style=me.Style(max_width=1000, margin=me.Margin(bottom=8)))
        side_by_side([{"path": p.path, "label": p.label, "color": p.color} for p in PATTERNS])
