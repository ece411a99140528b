"""DynamoDB's expression languages: condition (and filter, key condition), update, projection.

Entry point: `request.prepare(params, kinds)`, which parses (once per distinct text) and
checks a request's expressions; `nodes` evaluates them, `update` applies an update, `paths`
projects and changes items by document path.
"""
