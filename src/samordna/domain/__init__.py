"""Pure domain rules for Samordna, free of web and storage concerns."""
