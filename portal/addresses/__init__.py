"""Saved addresses: the UK postal addresses a signed-in person keeps to choose at checkout."""
