//! The bench summary, for people and as one JSON object.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::json;

/// What a run measured; latencies are in microseconds.
#[derive(Debug)]
pub struct Summary {
    pub url: String,
    pub connections: usize,
    pub window: usize,
    pub size: usize,
    pub binary: bool,
    /// Echoes counted (warm-up left out).
    pub messages: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    pub mismatches: u64,
    /// How the first mismatched echo differed.
    pub first_mismatch: Option<String>,
    pub dropped: u64,
    /// How the first dropped connection ended.
    pub first_drop: Option<String>,
}

impl Summary {
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Payload megabytes (10^6) echoed per second, one direction.
    pub fn megabytes_per_second(&self) -> f64 {
        self.messages_per_second() * self.size as f64 / 1e6
    }

    fn percentile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn has_errors(&self) -> bool {
        self.mismatches > 0 || self.dropped > 0
    }
}

pub fn text(summary: &Summary) -> String {
    let kind = if summary.binary { "binary" } else { "text" };
    format!(
        "{url}: {connections} connection{s}, {window} in flight each, {size}-byte {kind} messages\n\
         messages  {messages} in {secs:.3} s: {rate:.0} msg/s, {mb:.2} MB/s\n\
         latency   p50 {p50:.3} ms  p90 {p90:.3} ms  p99 {p99:.3} ms  p99.9 {p999:.3} ms  max {max:.3} ms\n\
         errors    {errors}\n",
        url = summary.url,
        connections = summary.connections,
        s = if summary.connections == 1 { "" } else { "s" },
        window = summary.window,
        size = summary.size,
        messages = summary.messages,
        secs = summary.elapsed.as_secs_f64(),
        rate = summary.messages_per_second(),
        mb = summary.megabytes_per_second(),
        p50 = summary.percentile_ms(0.5),
        p90 = summary.percentile_ms(0.9),
        p99 = summary.percentile_ms(0.99),
        p999 = summary.percentile_ms(0.999),
        max = summary.latency.max() as f64 / 1000.0,
        errors = errors(summary),
    )
}

/// "0 mismatched echoes, 1 dropped connection".
pub fn errors(summary: &Summary) -> String {
    let plural = |count: u64, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    let detail = |first: &Option<String>| match first {
        Some(first) => format!(" (first: {first})"),
        None => String::new(),
    };
    format!(
        "{}{}, {}{}",
        plural(summary.mismatches, "mismatched echo", "mismatched echoes"),
        detail(&summary.first_mismatch),
        plural(summary.dropped, "dropped connection", "dropped connections"),
        detail(&summary.first_drop),
    )
}

pub fn jsonl(summary: &Summary) -> String {
    json!({
        "url": summary.url,
        "connections": summary.connections,
        "window": summary.window,
        "size": summary.size,
        "type": if summary.binary { "binary" } else { "text" },
        "messages": summary.messages,
        "seconds": summary.elapsed.as_secs_f64(),
        "messages_per_s": summary.messages_per_second(),
        "mb_per_s": summary.megabytes_per_second(),
        "latency_ms": {
            "p50": summary.percentile_ms(0.5),
            "p90": summary.percentile_ms(0.9),
            "p99": summary.percentile_ms(0.99),
            "p99_9": summary.percentile_ms(0.999),
            "max": summary.latency.max() as f64 / 1000.0,
        },
        "mismatches": summary.mismatches,
        "dropped": summary.dropped,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Summary {
        let mut latency = Histogram::new(3).unwrap();
        for micros in 1..=1000 {
            latency.record(micros).unwrap();
        }
        Summary {
            url: "ws://h/".into(),
            connections: 2,
            window: 8,
            size: 1000,
            binary: true,
            messages: 1000,
            elapsed: Duration::from_millis(500),
            latency,
            mismatches: 0,
            first_mismatch: None,
            dropped: 1,
            first_drop: None,
        }
    }

    #[test]
    fn rates_and_percentiles() {
        let summary = sample();
        assert_eq!(summary.messages_per_second(), 2000.0);
        assert_eq!(summary.megabytes_per_second(), 2.0);
        assert!(summary.has_errors());
        let text = text(&summary);
        assert!(
            text.contains("2 connections, 8 in flight each, 1000-byte binary messages"),
            "{text}"
        );
        assert!(text.contains("2000 msg/s, 2.00 MB/s"), "{text}");
        assert!(text.contains("p50 0.500 ms"), "{text}");
        assert!(text.contains("max 1.000 ms"), "{text}");
    }

    #[test]
    fn json_fields() {
        let value: serde_json::Value = serde_json::from_str(&jsonl(&sample())).unwrap();
        assert_eq!(value["messages_per_s"], 2000.0);
        assert_eq!(value["latency_ms"]["p99_9"], 0.999);
        assert_eq!(value["dropped"], 1);
        assert_eq!(value["type"], "binary");
    }
}
