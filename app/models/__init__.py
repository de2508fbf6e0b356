"""The language models: loading and running a GGUF (llm), the two bundled models (bundled_model, bundled_smollm2,
provenance), finding the models already on this computer and recommending one (stores, catalog), and unloading an
idle model (idle)."""
