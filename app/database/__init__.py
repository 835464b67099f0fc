"""SQL plumbing for the /database pattern: the engine, the schema, and the route serving images.

Process-wide, like app/gcs/: the engine and its connection pool are not re-created when Mesop's
hot reload re-imports the pages, and the media route wraps the WSGI app once.
"""
