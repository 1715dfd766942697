"""Security findings of issue 10, one module per finding, each test named after what it proves."""
