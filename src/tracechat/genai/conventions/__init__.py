"""One module per instrumentation convention. Each exposes ``extract(facts)``, which fills
the fields of a ``SpanFacts`` its convention records and leaves the rest alone."""
