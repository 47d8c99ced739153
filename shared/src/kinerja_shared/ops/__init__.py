"""kinerja-ops: operations on a live installation (onboarding, DLQ replay, read-model rebuild, backups, keys)."""
