"""OTLP in: decode requests, validate spans, resolve projects, serve gRPC and HTTP.

The only package that touches the OTLP protobuf classes; they leave it as bytes or as
the pure records of ``tracechat.model``.
"""
