"""Per-API rules that the scenarios data cannot express, one module per API id.

A module may define `refuse(request)`, `run(request, fixture)`, `default_example(request)`
and `stream(request, fixture, body)`; see the `Behaviour` protocol in `mockserver.behave`.
"""
