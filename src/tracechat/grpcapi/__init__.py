"""tracechat.v1 over gRPC: ``TraceQueryService`` on the OTLP/gRPC server (proto/tracechat/v1).

``codec`` turns the API's models into the generated messages and requests into checked
parameters, ``watch`` follows a trajectory while its trace arrives, ``servicer`` is the edge.
"""
