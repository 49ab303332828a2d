"""The review console: the web pages where risk officers of the four offices review and act on alerts."""
