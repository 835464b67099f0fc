"""One module per page. Importing a module registers its @me.page."""
