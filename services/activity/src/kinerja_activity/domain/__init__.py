"""Pure rules and models of the activity service: standard library only, time passed in."""
