"""Use cases of the activity service: one async function per use case, one transaction each."""
