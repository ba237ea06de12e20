"""Tests for tools."""
