"""Training and evaluation on ../shared/data (in a checkout only: not in the installed package)."""
