//! lamina-sam (placeholder, filled in by its issue).
