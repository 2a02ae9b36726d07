"""Diversity of generated texts: the metadata and blocking checks of the two generation
stages."""
