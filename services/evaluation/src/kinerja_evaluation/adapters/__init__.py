"""PostgreSQL repositories and outside clients of the evaluation service; they satisfy service ports."""
