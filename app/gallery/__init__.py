"""The one gallery feature: image processing, the bundled samples and the shared view."""
