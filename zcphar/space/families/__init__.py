"""One module per architecture family; each ends with one `register_family(...)` call."""
