"""``python -m compare.training``: regenerate the shipped verifier."""
from compare.training.verifier import main

main()
