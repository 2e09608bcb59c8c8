"""Driver receipts: the document (document.py), its lines (lines.py), how it is built from
the session's facts (build.py), signed links (links.py) and rendered (render.py)."""
