"""Reading text: passages, quotes and their speakers, and the details a passage states."""
