"""Blether: online conversation cafés on Discord, with consent at the centre."""
