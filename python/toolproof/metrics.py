"""What the dispatch engine counted: per tool and in total."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolproof import _core

if TYPE_CHECKING:
    from toolproof._core import _CallCounts

__all__ = ["MetricsReport", "collect_into", "new_metrics"]

_collector: _core.Metrics | None = None


def collect_into(metrics: _core.Metrics | None) -> None:
    """Make every registry and tool created from now on count into ``metrics`` (None: each its
    own again). The pytest plugin's ``--toolproof-report`` uses it to report a whole test run."""
    global _collector
    _collector = metrics


def new_metrics() -> _core.Metrics:
    """The metrics a new registry or tool counts into."""
    return _collector if _collector is not None else _core.Metrics()


class MetricsReport:
    """A snapshot of a registry's metrics.

    ``report["search"]`` (or ``report.tools["search"]``) holds one tool's ``calls``,
    ``successes``, ``errors`` by code, ``retries``, ``timeouts``, ``late_results_discarded``,
    ``repairs`` by kind, ``latency`` (``p50``, ``p95``, ``p99``, ``mean``, ``max`` in seconds),
    ``argument_bytes`` and ``result_bytes``; ``report.total`` the same across tools.
    """

    def __init__(self, metrics: _core.Metrics) -> None:
        self._metrics = metrics
        snapshot = metrics.snapshot()
        self.tools: dict[str, _CallCounts] = snapshot["tools"]
        self.total: _CallCounts = snapshot["total"]

    def __getitem__(self, tool: str) -> _CallCounts:
        return self.tools[tool]

    def as_dict(self) -> dict[str, Any]:
        return {"tools": self.tools, "total": self.total}

    def to_prometheus(self, prefix: str = "toolproof") -> str:
        """The Prometheus text exposition format (current counts, not the snapshot's)."""
        return self._metrics.prometheus(prefix)

    def __repr__(self) -> str:
        rows = [
            f"{'tool':24} {'calls':>6} {'ok':>6} {'errors':>6} {'retries':>7} {'p50 ms':>8} {'p95 ms':>8}"
        ]
        for name, stats in sorted(self.tools.items()):
            latency = stats["latency"]
            p50 = f"{latency['p50'] * 1000:.2f}" if latency["p50"] is not None else "-"
            p95 = f"{latency['p95'] * 1000:.2f}" if latency["p95"] is not None else "-"
            errors = sum(stats["errors"].values())
            rows.append(
                f"{name[:24]:24} {stats['calls']:>6} {stats['successes']:>6} {errors:>6} {stats['retries']:>7} "
                f"{p50:>8} {p95:>8}"
            )
        return "\n".join(rows)
