"""One module per statement format, and detection from the content."""
