//! What every dispatched call is counted in: calls, successes, errors by code, retries, timeouts,
//! late results, repairs by kind, argument and result bytes, and a latency histogram, per tool.
//!
//! The engine records one [`CallRecord`] per finished call from its tokio threads, without the
//! GIL, so recording is a handful of relaxed atomic adds under a shared read lock; a write lock is
//! taken only the first time a tool name (or, for a tool, an error code) is seen. Totals across
//! tools are not counted on that path: a snapshot merges the tools' counts.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Duration;

use ahash::AHashMap;

use crate::args::record::RepairKind;

/// One finished call, as the engine saw it.
#[derive(Clone, Copy, Debug)]
pub struct CallRecord<'a> {
    pub tool: &'a str,
    pub ok: bool,
    /// The result code (`ResultCode::as_str`, or a code a tool's own exception names); read only
    /// when `ok` is false.
    pub error_code: Option<&'a str>,
    /// Every attempt, the first included: retries are `attempts - 1`.
    pub attempts: u32,
    pub timed_out: bool,
    pub repairs: &'a [RepairKind],
    /// The whole call, all attempts and the waits between them.
    pub latency: Duration,
    pub argument_bytes: usize,
    pub result_bytes: usize,
}

/// Distinct tool names kept apart. A model can call tools that do not exist, and each made-up
/// name would otherwise cost memory and a Prometheus series for as long as the process lives.
pub const MAX_TRACKED_TOOLS: usize = 1024;
/// Distinct error codes kept apart per tool; codes come from the engine and from user code.
pub const MAX_TRACKED_ERROR_CODES: usize = 64;
/// Where names beyond those limits are counted. Parentheses keep it apart from any valid tool
/// name or error code.
pub const OVERFLOW_LABEL: &str = "(other)";
/// The code counted for a failed call that carried none.
pub const UNSPECIFIED_ERROR_CODE: &str = "unspecified";

const REPAIR_KIND_COUNT: usize = RepairKind::ALL.len();

/// A repair kind's slot in the per-kind counters: its position in `RepairKind::ALL`, which is
/// the order the variants are declared in.
fn repair_slot(kind: RepairKind) -> usize {
    kind as usize
}

// ---------------------------------------------------------------------------------------------
// The latency histogram
// ---------------------------------------------------------------------------------------------

/// Log-linear buckets over nanoseconds, as in HdrHistogram: each power of two is split into 128
/// equal sub-buckets, so a bucket is at most 1/128 as wide as its lower bound and the midpoint
/// reported for a percentile is within 1/256 (0.4%) of every value the bucket holds.
const SUB_BUCKET_BITS: u32 = 7;
const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
/// 2^44 ns is about 4.9 hours: beyond any sensible tool timeout. Longer calls are counted in the
/// top bucket (their exact length still reaches the sum and the maximum).
const HIGHEST_TRACKED_NANOS: u64 = (1 << 44) - 1;
const BUCKET_COUNT: usize = bucket_index(HIGHEST_TRACKED_NANOS) + 1;
/// Buckets are allocated a power of two at a time, on first use: a tool whose calls take between
/// 1 ms and 1 s touches 10 of the 38 chunks, about 10 KiB instead of 38 KiB.
const CHUNK_COUNT: usize = BUCKET_COUNT.div_ceil(SUB_BUCKETS);

/// Values below 256 ns are their own bucket; above, the bucket is the value's top 8 significant
/// bits (the leading one and 7 more) together with how far they were shifted.
const fn bucket_index(nanos: u64) -> usize {
    let significant_bits = u64::BITS - nanos.leading_zeros();
    let shift = significant_bits.saturating_sub(SUB_BUCKET_BITS + 1);
    shift as usize * SUB_BUCKETS + (nanos >> shift) as usize
}

/// The nanoseconds bucket `index` holds: `lowest .. lowest + width`.
fn bucket_bounds(index: usize) -> (u64, u64) {
    let shift = (index / SUB_BUCKETS).saturating_sub(1);
    let mantissa = (index - shift * SUB_BUCKETS) as u64;
    (mantissa << shift, 1 << shift)
}

/// The value reported for a bucket: its midpoint, which halves the worst error of either bound.
fn bucket_value(index: usize) -> u64 {
    let (lowest, width) = bucket_bounds(index);
    lowest + (width - 1) / 2
}

fn duration_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

type BucketChunk = [AtomicU64; SUB_BUCKETS];

/// A latency histogram many threads record into at once: O(1), lock-free, a few atomic adds.
pub struct LatencyHistogram {
    chunks: [OnceLock<Box<BucketChunk>>; CHUNK_COUNT],
    sum_nanos: AtomicU64,
    max_nanos: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            chunks: std::array::from_fn(|_| OnceLock::new()),
            sum_nanos: AtomicU64::new(0),
            max_nanos: AtomicU64::new(0),
        }
    }

    pub fn record(&self, latency: Duration) {
        let nanos = duration_nanos(latency);
        let index = bucket_index(nanos.min(HIGHEST_TRACKED_NANOS));
        let chunk =
            self.chunks[index / SUB_BUCKETS].get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        chunk[index % SUB_BUCKETS].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(nanos, Relaxed);
        self.max_nanos.fetch_max(nanos, Relaxed);
    }

    pub fn snapshot(&self) -> LatencySnapshot {
        let mut buckets = Vec::new();
        for (chunk_index, chunk) in self.chunks.iter().enumerate() {
            let Some(chunk) = chunk.get() else { continue };
            for (offset, counter) in chunk.iter().enumerate() {
                let count = counter.load(Relaxed);
                if count > 0 {
                    buckets.push(((chunk_index * SUB_BUCKETS + offset) as u32, count));
                }
            }
        }
        LatencySnapshot {
            count: buckets.iter().map(|&(_, count)| count).sum(),
            buckets,
            sum_nanos: self.sum_nanos.load(Relaxed),
            max_nanos: self.max_nanos.load(Relaxed),
        }
    }
}

/// A histogram's counts at one moment: the non-empty buckets in order, mergeable with others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencySnapshot {
    /// `(bucket index, count)`, ascending by index, no zero counts.
    buckets: Vec<(u32, u64)>,
    count: u64,
    sum_nanos: u64,
    max_nanos: u64,
}

impl LatencySnapshot {
    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum_nanos)
    }

    /// The exact mean (the sum is kept exactly, not read from the buckets).
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.sum_nanos / self.count))
    }

    /// The exact maximum.
    pub fn max(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.max_nanos))
    }

    /// The nearest-rank percentile (`quantile` in 0..=1): the smallest recorded latency with at
    /// least that share of latencies at or below it, within 0.4% (more than 4.9 hours: the top
    /// bucket's value).
    pub fn percentile(&self, quantile: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let rank = nearest_rank(quantile, self.count);
        if rank == self.count {
            return self.max();
        }
        let mut seen = 0;
        for &(index, count) in &self.buckets {
            seen += count;
            if seen >= rank {
                // The exact maximum is a better answer than a midpoint above it.
                let nanos = bucket_value(index as usize).min(self.max_nanos);
                return Some(Duration::from_nanos(nanos));
            }
        }
        self.max()
    }

    /// Adds another snapshot's counts to this one, as if both had been recorded into one histogram.
    pub fn merge(&mut self, other: &LatencySnapshot) {
        let (mine, theirs) = (&self.buckets, &other.buckets);
        let mut merged = Vec::with_capacity(mine.len() + theirs.len());
        let (mut at_mine, mut at_theirs) = (0, 0);
        while let (Some(&(index, count)), Some(&(other_index, other_count))) =
            (mine.get(at_mine), theirs.get(at_theirs))
        {
            match index.cmp(&other_index) {
                Ordering::Less => {
                    merged.push((index, count));
                    at_mine += 1;
                }
                Ordering::Greater => {
                    merged.push((other_index, other_count));
                    at_theirs += 1;
                }
                Ordering::Equal => {
                    merged.push((index, count + other_count));
                    at_mine += 1;
                    at_theirs += 1;
                }
            }
        }
        merged.extend_from_slice(&mine[at_mine..]);
        merged.extend_from_slice(&theirs[at_theirs..]);
        self.buckets = merged;
        self.count += other.count;
        self.sum_nanos = self.sum_nanos.saturating_add(other.sum_nanos);
        self.max_nanos = self.max_nanos.max(other.max_nanos);
    }
}

/// The 1-based rank of the nearest-rank percentile among `count` values.
fn nearest_rank(quantile: f64, count: u64) -> u64 {
    let quantile = if quantile.is_nan() {
        0.5
    } else {
        quantile.clamp(0.0, 1.0)
    };
    ((quantile * count as f64).ceil() as u64).clamp(1, count)
}

// ---------------------------------------------------------------------------------------------
// Counters per tool
// ---------------------------------------------------------------------------------------------

/// Entries by name, created on first use: a read lock to find one, a write lock only to add one.
/// Past `limit` names, new names share the entry `OVERFLOW_LABEL`.
struct NamedEntries<T> {
    entries: RwLock<AHashMap<Box<str>, T>>,
    limit: usize,
}

impl<T: Default> NamedEntries<T> {
    fn new(limit: usize) -> Self {
        NamedEntries {
            entries: RwLock::new(AHashMap::new()),
            limit,
        }
    }

    fn with<R>(&self, name: &str, action: impl FnOnce(&T) -> R) -> R {
        // Counting must go on after a panic elsewhere; the entries themselves are only atomics.
        if let Some(entry) = self.entries.read().unwrap_or_else(PoisonError::into_inner).get(name) {
            return action(entry);
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let name = if entries.len() >= self.limit && !entries.contains_key(name) {
            OVERFLOW_LABEL
        } else {
            name
        };
        action(entries.entry(name.into()).or_default())
    }

    fn collect<S>(&self, mut read: impl FnMut(&T) -> S) -> BTreeMap<String, S> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .map(|(name, entry)| (name.to_string(), read(entry)))
            .collect()
    }

    fn clear(&self) {
        *self.entries.write().unwrap_or_else(PoisonError::into_inner) = AHashMap::new();
    }
}

struct ToolCounters {
    calls: AtomicU64,
    successes: AtomicU64,
    errors: NamedEntries<AtomicU64>,
    retries: AtomicU64,
    timeouts: AtomicU64,
    late_results_discarded: AtomicU64,
    repairs: [AtomicU64; REPAIR_KIND_COUNT],
    latency: LatencyHistogram,
    argument_bytes: AtomicU64,
    result_bytes: AtomicU64,
}

impl Default for ToolCounters {
    fn default() -> Self {
        ToolCounters {
            calls: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            errors: NamedEntries::new(MAX_TRACKED_ERROR_CODES),
            retries: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            late_results_discarded: AtomicU64::new(0),
            repairs: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: LatencyHistogram::new(),
            argument_bytes: AtomicU64::new(0),
            result_bytes: AtomicU64::new(0),
        }
    }
}

fn add(counter: &AtomicU64, amount: u64) {
    // Counts only ever grow and are read without ordering against each other, so Relaxed is enough.
    if amount > 0 {
        counter.fetch_add(amount, Relaxed);
    }
}

impl ToolCounters {
    fn record(&self, record: &CallRecord<'_>) {
        add(&self.calls, 1);
        if record.ok {
            add(&self.successes, 1);
        } else {
            let code = record.error_code.unwrap_or(UNSPECIFIED_ERROR_CODE);
            self.errors.with(code, |count| add(count, 1));
        }
        add(&self.retries, u64::from(record.attempts.saturating_sub(1)));
        add(&self.timeouts, u64::from(record.timed_out));
        for &kind in record.repairs {
            add(&self.repairs[repair_slot(kind)], 1);
        }
        self.latency.record(record.latency);
        add(&self.argument_bytes, record.argument_bytes as u64);
        add(&self.result_bytes, record.result_bytes as u64);
    }

    fn snapshot(&self) -> ToolSnapshot {
        let load = |counter: &AtomicU64| counter.load(Relaxed);
        ToolSnapshot {
            calls: load(&self.calls),
            successes: load(&self.successes),
            errors: self.errors.collect(load),
            retries: load(&self.retries),
            timeouts: load(&self.timeouts),
            late_results_discarded: load(&self.late_results_discarded),
            repairs: RepairCounts(std::array::from_fn(|slot| load(&self.repairs[slot]))),
            latency: self.latency.snapshot(),
            argument_bytes: load(&self.argument_bytes),
            result_bytes: load(&self.result_bytes),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

/// Repairs counted by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairCounts([u64; REPAIR_KIND_COUNT]);

impl Default for RepairCounts {
    fn default() -> Self {
        RepairCounts([0; REPAIR_KIND_COUNT])
    }
}

impl RepairCounts {
    pub fn get(&self, kind: RepairKind) -> u64 {
        self.0[repair_slot(kind)]
    }

    /// The kinds counted at least once, in `RepairKind::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (RepairKind, u64)> + '_ {
        RepairKind::ALL
            .iter()
            .map(|&kind| (kind, self.get(kind)))
            .filter(|&(_, count)| count > 0)
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn merge(&mut self, other: &RepairCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }
}

/// One tool's counts at one moment (or the sum over tools).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolSnapshot {
    pub calls: u64,
    pub successes: u64,
    /// Failed calls by error code; they add up to `calls - successes`.
    pub errors: BTreeMap<String, u64>,
    pub retries: u64,
    pub timeouts: u64,
    /// Results of timed-out calls that arrived after the timeout and were thrown away.
    pub late_results_discarded: u64,
    pub repairs: RepairCounts,
    pub latency: LatencySnapshot,
    pub argument_bytes: u64,
    pub result_bytes: u64,
}

impl ToolSnapshot {
    pub fn merge(&mut self, other: &ToolSnapshot) {
        self.calls += other.calls;
        self.successes += other.successes;
        for (code, count) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
        self.retries += other.retries;
        self.timeouts += other.timeouts;
        self.late_results_discarded += other.late_results_discarded;
        self.repairs.merge(&other.repairs);
        self.latency.merge(&other.latency);
        self.argument_bytes += other.argument_bytes;
        self.result_bytes += other.result_bytes;
    }
}

/// Every tool's counts, by tool name, and their sum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub tools: BTreeMap<String, ToolSnapshot>,
    pub total: ToolSnapshot,
}

// ---------------------------------------------------------------------------------------------
// The registry of counters
// ---------------------------------------------------------------------------------------------

/// The metrics of one registry: safe to record into from any number of threads at once.
pub struct Metrics {
    tools: NamedEntries<ToolCounters>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            tools: NamedEntries::new(MAX_TRACKED_TOOLS),
        }
    }

    pub fn record(&self, record: &CallRecord<'_>) {
        self.tools.with(record.tool, |counters| counters.record(record));
    }

    /// A timed-out call's result arrived after its caller had been answered, and was discarded.
    pub fn record_late_result(&self, tool: &str) {
        self.tools
            .with(tool, |counters| add(&counters.late_results_discarded, 1));
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let tools = self.tools.collect(ToolCounters::snapshot);
        let mut total = ToolSnapshot::default();
        for tool in tools.values() {
            total.merge(tool);
        }
        MetricsSnapshot { tools, total }
    }

    /// Forgets every count and every tool. A call being recorded meanwhile is counted either
    /// wholly before the reset or wholly after it.
    pub fn reset(&self) {
        self.tools.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// Prometheus text exposition format 0.0.4
// ---------------------------------------------------------------------------------------------

/// Whether `name` may start a Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn is_valid_metric_prefix(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A prefix made valid: characters a metric name cannot hold become `_`.
fn sanitized_prefix(prefix: &str) -> String {
    let mut sanitized: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == ':' { c } else { '_' })
        .collect();
    if sanitized.starts_with(|c: char| c.is_ascii_digit()) {
        sanitized.insert(0, '_');
    }
    sanitized
}

/// The quantiles the latency summary reports.
pub const SUMMARY_QUANTILES: [(f64, &str); 3] = [(0.5, "0.5"), (0.95, "0.95"), (0.99, "0.99")];

struct Exposition {
    text: String,
    prefix: String,
}

impl Exposition {
    fn name(&self, metric: &str) -> String {
        if self.prefix.is_empty() {
            metric.to_owned()
        } else {
            format!("{}_{metric}", self.prefix)
        }
    }

    fn family(&mut self, metric: &str, kind: &str, help: &str) -> String {
        let name = self.name(metric);
        // Help texts are constants without backslashes or line breaks, so need no escaping.
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        name
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (position, (label, label_value)) in labels.iter().enumerate() {
                if position > 0 {
                    self.text.push(',');
                }
                self.text.push_str(label);
                self.text.push_str("=\"");
                escape_label_value(&mut self.text, label_value);
                self.text.push('"');
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }

    fn counter_per_tool(
        &mut self,
        snapshot: &MetricsSnapshot,
        metric: &str,
        help: &str,
        count: impl Fn(&ToolSnapshot) -> u64,
    ) {
        let name = self.family(metric, "counter", help);
        for (tool, counts) in &snapshot.tools {
            self.sample(&name, &[("tool", tool)], count(counts));
        }
    }
}

/// Backslash, double quote and line feed are the characters the format escapes in label values.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
}

fn seconds(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// The snapshot in the Prometheus text exposition format 0.0.4, one series per tool (totals are
/// left to the query: `sum(...)`). Metric names start with `prefix` and `_`; characters a
/// metric name cannot hold are replaced by `_`.
pub fn prometheus_text(snapshot: &MetricsSnapshot, prefix: &str) -> String {
    let mut out = Exposition {
        text: String::new(),
        prefix: sanitized_prefix(prefix),
    };
    out.counter_per_tool(
        snapshot,
        "calls_total",
        "Tool calls dispatched, whatever their outcome.",
        |tool| tool.calls,
    );
    out.counter_per_tool(
        snapshot,
        "successes_total",
        "Tool calls that returned a result.",
        |tool| tool.successes,
    );

    let name = out.family(
        "errors_total",
        "counter",
        "Tool calls that ended in an error, by error code.",
    );
    for (tool, counts) in &snapshot.tools {
        for (code, count) in &counts.errors {
            out.sample(&name, &[("tool", tool), ("code", code)], count);
        }
    }

    out.counter_per_tool(
        snapshot,
        "retries_total",
        "Attempts made after a call's first one.",
        |tool| tool.retries,
    );
    out.counter_per_tool(snapshot, "timeouts_total", "Tool calls that timed out.", |tool| {
        tool.timeouts
    });
    out.counter_per_tool(
        snapshot,
        "late_results_discarded_total",
        "Results of timed-out calls that arrived after the timeout and were discarded.",
        |tool| tool.late_results_discarded,
    );

    let name = out.family(
        "repairs_total",
        "counter",
        "Changes made to a model's arguments before the call, by kind.",
    );
    for (tool, counts) in &snapshot.tools {
        for (kind, count) in counts.repairs.iter() {
            out.sample(&name, &[("tool", tool), ("kind", kind.as_str())], count);
        }
    }

    out.counter_per_tool(
        snapshot,
        "argument_bytes_total",
        "Bytes of argument text the model sent.",
        |tool| tool.argument_bytes,
    );
    out.counter_per_tool(
        snapshot,
        "result_bytes_total",
        "Bytes of result text returned to the model.",
        |tool| tool.result_bytes,
    );

    let name = out.family(
        "call_duration_seconds",
        "summary",
        "Time from dispatch to result, all attempts included.",
    );
    let (sum_name, count_name) = (format!("{name}_sum"), format!("{name}_count"));
    for (tool, counts) in &snapshot.tools {
        for (quantile, label) in SUMMARY_QUANTILES {
            // An empty summary reports NaN quantiles, as the official client libraries do.
            let value = counts
                .latency
                .percentile(quantile)
                .map_or(f64::NAN, |d| d.as_secs_f64());
            out.sample(&name, &[("tool", tool), ("quantile", label)], value);
        }
        out.sample(&sum_name, &[("tool", tool)], seconds(counts.latency.sum_nanos));
        out.sample(&count_name, &[("tool", tool)], counts.latency.count());
    }

    let name = out.family(
        "call_duration_max_seconds",
        "gauge",
        "Longest tool call since the metrics were created or reset.",
    );
    for (tool, counts) in &snapshot.tools {
        if let Some(max) = counts.latency.max() {
            out.sample(&name, &[("tool", tool)], max.as_secs_f64());
        }
    }
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::code::ResultCode;

    /// SplitMix64: a small deterministic generator, so the accuracy test needs no crate.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Log-uniform between `low` and `high` nanoseconds.
        fn log_uniform(&mut self, low: f64, high: f64) -> u64 {
            (low.ln() + self.unit() * (high.ln() - low.ln())).exp() as u64
        }
    }

    const MICROSECOND: f64 = 1e3;
    const HOUR: f64 = 3600e9;

    fn call(tool: &str) -> CallRecord<'_> {
        CallRecord {
            tool,
            ok: true,
            error_code: None,
            attempts: 1,
            timed_out: false,
            repairs: &[],
            latency: Duration::from_millis(1),
            argument_bytes: 0,
            result_bytes: 0,
        }
    }

    fn exact_percentile(sorted: &[u64], quantile: f64) -> u64 {
        sorted[nearest_rank(quantile, sorted.len() as u64) as usize - 1]
    }

    /// The largest relative error of the histogram's percentiles against the exact ones.
    fn worst_relative_error(samples: &[u64]) -> f64 {
        let histogram = LatencyHistogram::new();
        for &nanos in samples {
            histogram.record(Duration::from_nanos(nanos));
        }
        let snapshot = histogram.snapshot();
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let mut worst: f64 = 0.0;
        for step in 1..=1000 {
            let quantile = step as f64 / 1000.0;
            let exact = exact_percentile(&sorted, quantile) as f64;
            let estimate = snapshot.percentile(quantile).unwrap().as_nanos() as f64;
            worst = worst.max((estimate - exact).abs() / exact.max(1.0));
        }
        worst
    }

    #[test]
    fn buckets_cover_the_range_without_gaps() {
        assert_eq!(BUCKET_COUNT, 38 * SUB_BUCKETS);
        assert_eq!(CHUNK_COUNT, 38);
        let mut expected_lowest = 0;
        for index in 0..BUCKET_COUNT {
            let (lowest, width) = bucket_bounds(index);
            assert_eq!(lowest, expected_lowest, "bucket {index}");
            assert_eq!(bucket_index(lowest), index);
            assert_eq!(bucket_index(lowest + width - 1), index);
            // Relative width at most 1/128: the midpoint is within 1/256 of the bucket's values.
            assert!(width == 1 || width * 128 <= lowest, "bucket {index} too wide");
            expected_lowest = lowest + width;
        }
        assert_eq!(expected_lowest, HIGHEST_TRACKED_NANOS + 1);
    }

    #[test]
    fn percentiles_are_within_one_percent_from_a_microsecond_to_an_hour() {
        let mut random = SplitMix(7);
        let samples: Vec<u64> = (0..200_000).map(|_| random.log_uniform(MICROSECOND, HOUR)).collect();
        let worst = worst_relative_error(&samples);
        assert!(worst < 0.004, "worst relative error {worst}");
    }

    #[test]
    fn percentiles_are_within_one_percent_for_narrow_distributions() {
        let mut random = SplitMix(11);
        for (low, high) in [(1e3, 2e3), (1.5e6, 1.6e6), (2.0e8, 2.1e8), (5e11, 5.5e11), (1.0, 1e4)] {
            let samples: Vec<u64> = (0..20_000).map(|_| random.log_uniform(low, high).max(1)).collect();
            let worst = worst_relative_error(&samples);
            assert!(worst < 0.004, "{low}..{high}: worst relative error {worst}");
        }
    }

    #[test]
    fn mean_and_max_are_exact() {
        let histogram = LatencyHistogram::new();
        for millis in [1, 2, 3, 10] {
            histogram.record(Duration::from_millis(millis));
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count(), 4);
        assert_eq!(snapshot.mean(), Some(Duration::from_millis(4)));
        assert_eq!(snapshot.max(), Some(Duration::from_millis(10)));
        assert_eq!(snapshot.percentile(1.0), Some(Duration::from_millis(10)));
        assert_eq!(LatencySnapshot::default().percentile(0.5), None);
    }

    #[test]
    fn latencies_beyond_the_range_land_in_the_top_bucket() {
        let histogram = LatencyHistogram::new();
        let day = Duration::from_secs(86_400);
        for _ in 0..3 {
            histogram.record(day);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.max(), Some(day));
        assert_eq!(snapshot.sum(), 3 * day);
        let top = snapshot.percentile(0.5).unwrap();
        assert!(top > Duration::from_secs(4 * 3600) && top < day);
    }

    #[test]
    fn merging_equals_recording_into_one_histogram() {
        let mut random = SplitMix(3);
        let (first, second, both) = (
            LatencyHistogram::new(),
            LatencyHistogram::new(),
            LatencyHistogram::new(),
        );
        for round in 0..50_000 {
            let latency = Duration::from_nanos(random.log_uniform(MICROSECOND, HOUR));
            if round % 3 == 0 { &first } else { &second }.record(latency);
            both.record(latency);
        }
        let mut merged = first.snapshot();
        merged.merge(&second.snapshot());
        assert_eq!(merged, both.snapshot());
        let mut from_empty = LatencySnapshot::default();
        from_empty.merge(&merged);
        assert_eq!(from_empty, merged);
    }

    #[test]
    fn counts_every_field_and_totals_merge_the_tools() {
        let metrics = Metrics::new();
        metrics.record(&CallRecord {
            ok: false,
            error_code: Some(ResultCode::Timeout.as_str()),
            attempts: 3,
            timed_out: true,
            repairs: &[
                RepairKind::TrailingComma,
                RepairKind::StringToNumber,
                RepairKind::TrailingComma,
            ],
            latency: Duration::from_millis(30),
            argument_bytes: 12,
            result_bytes: 0,
            ..call("search")
        });
        metrics.record(&CallRecord {
            result_bytes: 40,
            ..call("search")
        });
        metrics.record(&CallRecord {
            ok: false,
            attempts: 0,
            ..call("weather")
        });
        metrics.record_late_result("search");

        let snapshot = metrics.snapshot();
        let search = &snapshot.tools["search"];
        assert_eq!(
            (search.calls, search.successes, search.retries, search.timeouts),
            (2, 1, 2, 1)
        );
        assert_eq!(
            search.errors,
            BTreeMap::from([(ResultCode::Timeout.as_str().to_owned(), 1)])
        );
        assert_eq!(search.late_results_discarded, 1);
        assert_eq!(search.repairs.get(RepairKind::TrailingComma), 2);
        assert_eq!(search.repairs.get(RepairKind::StringToNumber), 1);
        assert_eq!(search.repairs.iter().count(), 2);
        assert_eq!((search.argument_bytes, search.result_bytes), (12, 40));
        assert_eq!(search.latency.max(), Some(Duration::from_millis(30)));

        let weather = &snapshot.tools["weather"];
        assert_eq!(weather.errors, BTreeMap::from([(UNSPECIFIED_ERROR_CODE.to_owned(), 1)]));
        assert_eq!(weather.retries, 0);

        let total = &snapshot.total;
        assert_eq!((total.calls, total.successes, total.repairs.total()), (3, 1, 3));
        assert_eq!(total.errors.values().sum::<u64>(), total.calls - total.successes);
        assert_eq!(total.latency.count(), 3);

        metrics.reset();
        assert_eq!(metrics.snapshot(), MetricsSnapshot::default());
    }

    #[test]
    fn a_late_result_alone_creates_a_tool_without_latency() {
        let metrics = Metrics::new();
        metrics.record_late_result("slow");
        let slow = &metrics.snapshot().tools["slow"];
        assert_eq!((slow.calls, slow.late_results_discarded), (0, 1));
        assert_eq!(slow.latency.percentile(0.5), None);
    }

    #[test]
    fn repair_slots_follow_the_declaration_order() {
        for (position, &kind) in RepairKind::ALL.iter().enumerate() {
            assert_eq!(repair_slot(kind), position);
        }
    }

    #[test]
    fn names_beyond_the_limit_share_one_entry() {
        let metrics = Metrics::new();
        for index in 0..MAX_TRACKED_TOOLS + 10 {
            metrics.record(&call(&format!("made_up_{index}")));
        }
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.tools.len(), MAX_TRACKED_TOOLS + 1);
        assert_eq!(snapshot.tools[OVERFLOW_LABEL].calls, 10);
        assert_eq!(snapshot.total.calls, (MAX_TRACKED_TOOLS + 10) as u64);
    }

    #[test]
    fn eight_threads_recording_at_once_lose_nothing() {
        const THREADS: usize = 8;
        const CALLS_PER_THREAD: usize = 20_000;
        let metrics = Metrics::new();
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let metrics = &metrics;
                scope.spawn(move || {
                    for index in 0..CALLS_PER_THREAD {
                        // Every thread makes up new tool names too, so lookups race with insertions.
                        let tool = format!("tool_{}", (index + thread) % 5);
                        let failed = index % 4 == 0;
                        metrics.record(&CallRecord {
                            ok: !failed,
                            error_code: failed.then_some(if index % 8 == 0 {
                                ResultCode::Timeout.as_str()
                            } else {
                                ResultCode::ToolError.as_str()
                            }),
                            attempts: 2,
                            repairs: &[RepairKind::SingleQuotes],
                            latency: Duration::from_micros(1 + index as u64),
                            argument_bytes: 3,
                            result_bytes: 5,
                            ..call(&tool)
                        });
                        if index % 100 == 0 {
                            metrics.record_late_result(&tool);
                            // Readers run alongside the writers.
                            let _ = metrics.snapshot();
                        }
                    }
                });
            }
        });
        let total = metrics.snapshot().total;
        let calls = (THREADS * CALLS_PER_THREAD) as u64;
        assert_eq!(total.calls, calls);
        assert_eq!(total.successes, calls * 3 / 4);
        assert_eq!(total.errors[ResultCode::Timeout.as_str()], calls / 8);
        assert_eq!(total.errors[ResultCode::ToolError.as_str()], calls / 8);
        assert_eq!(total.retries, calls);
        assert_eq!(total.late_results_discarded, calls / 100);
        assert_eq!(total.repairs.get(RepairKind::SingleQuotes), calls);
        assert_eq!((total.argument_bytes, total.result_bytes), (3 * calls, 5 * calls));
        assert_eq!(total.latency.count(), calls);
        assert_eq!(
            total.latency.max(),
            Some(Duration::from_micros(CALLS_PER_THREAD as u64))
        );
    }

    /// One line of the text format 0.0.4, checked by hand: a `# HELP` or `# TYPE` comment, or
    /// `name{label="value",...} value` with only the three escapes the format allows.
    fn is_exposition_line(line: &str) -> bool {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            return match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), Some(_)) => is_valid_metric_prefix(name),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    is_valid_metric_prefix(name)
                        && ["counter", "gauge", "summary", "histogram", "untyped"].contains(&kind)
                }
                _ => false,
            };
        }
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        if !is_valid_metric_prefix(&line[..name_end]) {
            return false;
        }
        let mut rest = &line[name_end..];
        if let Some(labels) = rest.strip_prefix('{') {
            rest = labels;
            loop {
                let Some((label, after)) = rest.split_once("=\"") else {
                    return false;
                };
                if !is_valid_metric_prefix(label) || label.contains(':') {
                    return false;
                }
                let mut chars = after.char_indices();
                let close = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\' | '"' | 'n')) => {}
                            _ => return false,
                        },
                        Some((_, '\n')) | None => return false,
                        Some((at, '"')) => break at,
                        Some(_) => {}
                    }
                };
                rest = &after[close + 1..];
                if let Some(next) = rest.strip_prefix(',') {
                    rest = next;
                } else if let Some(end) = rest.strip_prefix('}') {
                    rest = end;
                    break;
                } else {
                    return false;
                }
            }
        }
        let Some(value) = rest.strip_prefix(' ') else {
            return false;
        };
        value == "NaN" || value == "+Inf" || value == "-Inf" || value.parse::<f64>().is_ok_and(f64::is_finite)
    }

    #[test]
    fn prometheus_text_lists_every_family() {
        let metrics = Metrics::new();
        metrics.record(&CallRecord {
            ok: false,
            error_code: Some(ResultCode::Timeout.as_str()),
            attempts: 2,
            timed_out: true,
            repairs: &[RepairKind::TrailingComma],
            latency: Duration::from_millis(250),
            argument_bytes: 17,
            ..call("search")
        });
        metrics.record_late_result("search");
        let text = prometheus_text(&metrics.snapshot(), "toolproof");
        let expected = "\
# HELP toolproof_calls_total Tool calls dispatched, whatever their outcome.
# TYPE toolproof_calls_total counter
toolproof_calls_total{tool=\"search\"} 1
# HELP toolproof_successes_total Tool calls that returned a result.
# TYPE toolproof_successes_total counter
toolproof_successes_total{tool=\"search\"} 0
# HELP toolproof_errors_total Tool calls that ended in an error, by error code.
# TYPE toolproof_errors_total counter
toolproof_errors_total{tool=\"search\",code=\"timeout\"} 1
# HELP toolproof_retries_total Attempts made after a call's first one.
# TYPE toolproof_retries_total counter
toolproof_retries_total{tool=\"search\"} 1
# HELP toolproof_timeouts_total Tool calls that timed out.
# TYPE toolproof_timeouts_total counter
toolproof_timeouts_total{tool=\"search\"} 1
# HELP toolproof_late_results_discarded_total Results of timed-out calls that arrived after the timeout and were discarded.
# TYPE toolproof_late_results_discarded_total counter
toolproof_late_results_discarded_total{tool=\"search\"} 1
# HELP toolproof_repairs_total Changes made to a model's arguments before the call, by kind.
# TYPE toolproof_repairs_total counter
toolproof_repairs_total{tool=\"search\",kind=\"trailing_comma\"} 1
# HELP toolproof_argument_bytes_total Bytes of argument text the model sent.
# TYPE toolproof_argument_bytes_total counter
toolproof_argument_bytes_total{tool=\"search\"} 17
# HELP toolproof_result_bytes_total Bytes of result text returned to the model.
# TYPE toolproof_result_bytes_total counter
toolproof_result_bytes_total{tool=\"search\"} 0
# HELP toolproof_call_duration_seconds Time from dispatch to result, all attempts included.
# TYPE toolproof_call_duration_seconds summary
toolproof_call_duration_seconds{tool=\"search\",quantile=\"0.5\"} 0.25
toolproof_call_duration_seconds{tool=\"search\",quantile=\"0.95\"} 0.25
toolproof_call_duration_seconds{tool=\"search\",quantile=\"0.99\"} 0.25
toolproof_call_duration_seconds_sum{tool=\"search\"} 0.25
toolproof_call_duration_seconds_count{tool=\"search\"} 1
# HELP toolproof_call_duration_max_seconds Longest tool call since the metrics were created or reset.
# TYPE toolproof_call_duration_max_seconds gauge
toolproof_call_duration_max_seconds{tool=\"search\"} 0.25
";
        assert_eq!(text, expected);
        assert!(text.lines().all(is_exposition_line));
    }

    #[test]
    fn prometheus_label_values_are_escaped() {
        let metrics = Metrics::new();
        let awkward = "say \"hi\"\\\nnow";
        metrics.record(&CallRecord {
            ok: false,
            error_code: Some("bad\ncode"),
            ..call(awkward)
        });
        let text = prometheus_text(&metrics.snapshot(), "toolproof");
        assert!(
            text.contains(r#"toolproof_calls_total{tool="say \"hi\"\\\nnow"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"code="bad\ncode"} 1"#), "{text}");
        for line in text.lines() {
            assert!(is_exposition_line(line), "not exposition format: {line}");
        }
        assert!(!is_exposition_line(r#"x{tool="a\qb"} 1"#));
        assert!(!is_exposition_line(r#"x{tool="a"b"} 1"#));
    }

    #[test]
    fn an_empty_summary_reports_nan_quantiles() {
        let metrics = Metrics::new();
        metrics.record_late_result("slow");
        let text = prometheus_text(&metrics.snapshot(), "tp");
        assert!(text.contains("tp_call_duration_seconds{tool=\"slow\",quantile=\"0.99\"} NaN\n"));
        assert!(text.contains("tp_call_duration_seconds_count{tool=\"slow\"} 0\n"));
        assert!(!text.contains("tp_call_duration_max_seconds{"));
        assert!(text.lines().all(is_exposition_line));
    }

    #[test]
    fn prefixes_are_checked_and_sanitized() {
        assert!(is_valid_metric_prefix("toolproof"));
        assert!(is_valid_metric_prefix("my_app:tools"));
        assert!(!is_valid_metric_prefix(""));
        assert!(!is_valid_metric_prefix("1tools"));
        assert!(!is_valid_metric_prefix("tool-proof"));
        assert_eq!(sanitized_prefix("tool-proof"), "tool_proof");
        assert_eq!(sanitized_prefix("1x"), "_1x");
        let text = prometheus_text(&MetricsSnapshot::default(), "");
        assert!(text.contains("# TYPE calls_total counter\n"));
        assert!(text.lines().all(is_exposition_line));
    }
}
