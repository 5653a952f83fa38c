"""The domain: ticket lifecycle, priorities, the directory and what people may see."""
