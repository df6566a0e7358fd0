//! lamina-package (placeholder, filled in by its issue).
