"""Where the bytes live: one module per pattern, each implementing gallery.model.ImageStore."""
