"""The service's routes, one module per concern: the ``/v1`` API, health, and the review page."""
