//! The bench summary, for people and as one JSON object.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::json;

/// What a run sends.
#[derive(Debug, Clone)]
pub struct Workload {
    pub url: String,
    pub connections: usize,
    pub window: usize,
    pub size: usize,
    pub binary: bool,
    /// Messages per connection sent first and not counted.
    pub warmup: u64,
}

impl Workload {
    pub fn of(config: &crate::config::BenchConfig) -> Workload {
        Workload {
            url: config.client.request.url.to_string(),
            connections: config.connections,
            window: config.window,
            size: config.size,
            binary: config.binary,
            warmup: config.warmup,
        }
    }
}

/// What a run measured; latencies are in microseconds.
#[derive(Debug)]
pub struct Summary {
    pub workload: Workload,
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
        self.messages_per_second() * self.workload.size as f64 / 1e6
    }

    fn percentile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn has_errors(&self) -> bool {
        self.mismatches > 0 || self.dropped > 0
    }
}

/// The first line, printed before the run starts.
pub fn header(workload: &Workload) -> String {
    let kind = if workload.binary { "binary" } else { "text" };
    format!(
        "{url}: {connections} connection{s}, {window} in flight each, {size}-byte {kind} messages\n",
        url = workload.url,
        connections = workload.connections,
        s = if workload.connections == 1 { "" } else { "s" },
        window = workload.window,
        size = workload.size,
    )
}

/// The lines after the run. A figure that nothing measured shows as `–`, not as 0.
pub fn text(summary: &Summary) -> String {
    let measured = summary.messages > 0;
    let ms = |value: f64| {
        if measured {
            format!("{value:.3} ms")
        } else {
            "–".to_string()
        }
    };
    let warmup = match summary.workload.warmup {
        0 => String::new(),
        warmup => format!(
            " (after {warmup} warm-up message{} per connection, not counted)",
            if warmup == 1 { "" } else { "s" }
        ),
    };
    let rates = if measured {
        format!(
            "{:.0} msg/s, {:.2} MB/s",
            summary.messages_per_second(),
            summary.megabytes_per_second()
        )
    } else {
        "–".to_string()
    };
    format!(
        "messages  {messages} in {secs:.3} s{warmup}: {rates}\n\
         latency   p50 {p50}  p90 {p90}  p99 {p99}  p99.9 {p999}  max {max}\n\
         errors    {errors}\n",
        messages = summary.messages,
        secs = summary.elapsed.as_secs_f64(),
        p50 = ms(summary.percentile_ms(0.5)),
        p90 = ms(summary.percentile_ms(0.9)),
        p99 = ms(summary.percentile_ms(0.99)),
        p999 = ms(summary.percentile_ms(0.999)),
        max = ms(summary.latency.max() as f64 / 1000.0),
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
    let workload = &summary.workload;
    json!({
        "url": workload.url,
        "connections": workload.connections,
        "window": workload.window,
        "size": workload.size,
        "type": if workload.binary { "binary" } else { "text" },
        "warmup": workload.warmup,
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
            workload: Workload {
                url: "ws://h/".into(),
                connections: 2,
                window: 8,
                size: 1000,
                binary: true,
                warmup: 5,
            },
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
        let header = header(&summary.workload);
        assert!(
            header.contains("2 connections, 8 in flight each, 1000-byte binary messages"),
            "{header}"
        );
        let text = text(&summary);
        assert!(
            text.contains("(after 5 warm-up messages per connection, not counted)"),
            "{text}"
        );
        assert!(text.contains("2000 msg/s, 2.00 MB/s"), "{text}");
        assert!(text.contains("p50 0.500 ms"), "{text}");
        assert!(text.contains("max 1.000 ms"), "{text}");
    }

    #[test]
    fn nothing_measured_shows_dashes_not_zeros() {
        let mut summary = sample();
        summary.messages = 0;
        summary.latency = Histogram::new(3).unwrap();
        let text = text(&summary);
        assert!(text.contains("p50 –  p90 –"), "{text}");
        assert!(!text.contains("0.000 ms"), "{text}");
        assert!(text.contains(": –\n"), "{text}");
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
