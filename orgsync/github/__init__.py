"""GitHub integration of the orgsync Action: REST calls, the sticky PR comment, the drift issue, the steps.

Nothing here runs outside a GitHub workflow (or a test that plays one); the engine never imports it.
"""
