"""How events travel between services: the pattern matcher shared by EventBridge rules,
event source mapping filters and SNS filter policies (`patterns`); async invocations,
retries, destinations and event source mappings as they arrive.
"""
