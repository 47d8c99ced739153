"""Pure rules and models of the notify service: standard library only, time passed in."""
