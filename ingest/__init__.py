"""Ingestion: corpus files -> SourceDoc -> Chunk[] -> index (Chroma + lexical + records)."""
