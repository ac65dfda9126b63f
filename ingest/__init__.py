"""The ingest job: knowledge files -> chunks -> embeddings -> the Chroma index."""
