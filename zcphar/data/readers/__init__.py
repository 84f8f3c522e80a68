"""Dataset readers: one module per dataset (family), each registering with `register_dataset`."""
