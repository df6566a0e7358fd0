//! lamina-runtime-api (placeholder, filled in by its issue).
