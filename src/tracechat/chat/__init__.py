"""The chat API's domain: conversation threads now; the assistant loop, tools, providers and
stream encoders build on them."""
