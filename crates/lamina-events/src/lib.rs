//! lamina-events (placeholder, filled in by its issue).
