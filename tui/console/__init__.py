"""The facilitator console: every room of a workshop on one screen."""
