"""The app's package: settings, the shared gallery, where each pattern keeps its bytes, the meter.

Pages live in the top-level `pages` package; `app.main` imports them. Every module is imported
under one of these two names, however the app is started (docs/architecture.md).
"""
