"""The web app's Gradio-free parts: document management and rendering.

``app.py`` holds the Gradio layout and calls into these modules, so the
logic (safe file names, re-ingest under a lock, citation context) is tested
without a browser.
"""
