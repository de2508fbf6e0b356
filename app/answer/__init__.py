"""Answering from your documents: retrieve, build the prompt (prompts), stream the model's answer (answering), check it
against the sources' sentences (evidence, sentences) and record the verdict (record); summaries (summarize); and the
Assistant that runs both for the CLI, the app and the resident server and saves them to history (assistant)."""
