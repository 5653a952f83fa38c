"""The knowledge base: Markdown articles under kb/articles and the code that indexes them."""
