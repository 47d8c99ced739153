"""PostgreSQL repositories and outside clients of the notify service; they satisfy service ports."""
