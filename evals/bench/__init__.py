"""One-off benchmarks beside the evaluation runner: scale and speed (``bench``), the
lexical engine choice (``lexical_choice``) and the synthetic corpus they share."""
