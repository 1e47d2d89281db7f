"""Notifications: citizens who opt in are told by email when data about them is used."""
