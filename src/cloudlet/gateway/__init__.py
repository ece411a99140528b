"""The front door: one HTTP port, every AWS wire protocol, errors in the shape SDKs expect.

A request is routed to a service and operation (`routing`), its signature checked (`auth`),
its body parsed by the service's protocol (`protocols/`) into the operation's input, which is
validated against the model (`validate`) and handed to the provider; the provider's output or
`ServiceError` goes back through the same protocol.

Entry points: `server.Gateway` (`respond(request)`), served by `http_server.HttpServer`.
"""
