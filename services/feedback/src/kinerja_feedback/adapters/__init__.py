"""PostgreSQL repositories and outside clients of the feedback service; they satisfy service ports."""
