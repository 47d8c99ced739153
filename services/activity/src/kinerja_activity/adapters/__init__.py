"""PostgreSQL repositories and outside clients of the activity service; they satisfy service ports."""
