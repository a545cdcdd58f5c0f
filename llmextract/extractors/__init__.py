"""Claims from an article's evidence index: by rules (:mod:`~llmextract.extractors.offline`) or by a
language model (:mod:`~llmextract.extractors.llm`), then the values the toolkit derives for both
(:mod:`~llmextract.extractors.derive`)."""
