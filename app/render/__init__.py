"""Pure renderers: the coverage model in, text (HTML, Markdown) out. No storage or network."""
