//! Reading trace files: the format told from the content, each format turned into periods
//! (the formats and their conventions are described in the parent module's docs).

use super::{MAHIMAHI_BIN_MS, Period, TEXT_LATENCY_MS, Trace};
use crate::error::{Error, Result};
use std::path::Path;

/// Bits in one Mahimahi delivery opportunity: a 1500-byte packet.
const PACKET_BITS: u64 = 1500 * 8;

/// What a file turned out to be.
pub(super) enum Read {
    /// A trace.
    Trace(Trace),
    /// Not of any trace format; why, for an error when the file was named on its own.
    Unknown(String),
}

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Sabre,
    Throughput,
    Mahimahi,
}

/// Whether a directory's file is skipped by its name alone: hidden files and documentation.
pub(super) fn not_a_trace_by_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or_default();
    let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    matches!(
        stem,
        "readme" | "license" | "licence" | "copying" | "authors" | "changelog" | "sources"
    ) || matches!(
        extension,
        "md" | "markdown" | "rst" | "adoc" | "html" | "htm" | "pdf" | "py" | "sh" | "ipynb"
    )
}

/// Read the file at `path`: a trace, or not of any trace format. A file of a recognised
/// format that does not parse, and an empty file, are errors.
pub(super) fn read(path: &Path) -> Result<Read> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let invalid = |problem: String| Error::InvalidTrace {
        path: path.to_path_buf(),
        problem,
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(Read::Unknown(
            "not text, so of no known trace format".into(),
        ));
    };
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(invalid("empty file".into()));
    }
    let Some(format) = detect(text) else {
        let first = data_lines(text).next().map_or("", |(_, line)| line);
        return Ok(Read::Unknown(format!(
            "no known trace format (first line `{}`; expected Sabre JSON, \
             `time_s throughput_mbps` lines or Mahimahi millisecond timestamps)",
            shown(first)
        )));
    };
    let periods = match format {
        Format::Sabre => serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?,
        Format::Throughput => throughput(text).map_err(invalid)?,
        Format::Mahimahi => mahimahi(text).map_err(invalid)?,
    };
    Ok(Read::Trace(Trace::new(path, periods)?))
}

/// The format of `text`, from its first character (JSON) or its first data line.
fn detect(text: &str) -> Option<Format> {
    if text.trim_start().starts_with('[') {
        return Some(Format::Sabre);
    }
    let (_, line) = data_lines(text).next()?;
    let mut f = fields(line);
    match (f.next(), f.next(), f.next()) {
        (Some(ms), None, None) if ms.parse::<u64>().is_ok() => Some(Format::Mahimahi),
        (Some(t), Some(b), None) if t.parse::<f64>().is_ok() && b.parse::<f64>().is_ok() => {
            Some(Format::Throughput)
        }
        _ => None,
    }
}

/// The lines that hold data, numbered from 1 as in the file: not blank, not `#` comments.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// A line's fields, separated by white space or commas.
fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|f| !f.is_empty())
}

/// A line or field as quoted in an error: at most 40 characters.
fn shown(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// A finite number that is not negative, or why not.
fn number(field: &str, what: &str) -> std::result::Result<f64, String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!(
            "{what} `{}` is negative or not finite",
            shown(field)
        )),
        Err(_) => Err(format!("{what} `{}` is not a number", shown(field))),
    }
}

/// Lines of `time_s throughput_mbps`, each line's throughput over the time since the line
/// before.
fn throughput(text: &str) -> std::result::Result<Vec<Period>, String> {
    let mut periods = Vec::new();
    let mut previous: Option<f64> = None;
    for (no, line) in data_lines(text) {
        let at = |problem: String| format!("line {no}: {problem}");
        let mut f = fields(line);
        let (Some(time), Some(mbps), None) = (f.next(), f.next(), f.next()) else {
            return Err(at(format!(
                "expected `time_s throughput_mbps`, found `{}`",
                shown(line)
            )));
        };
        let time = number(time, "time").map_err(at)?;
        let mbps = number(mbps, "throughput").map_err(at)?;
        if let Some(before) = previous {
            if time <= before {
                return Err(at(format!(
                    "time {time} s is not after the line before's {before} s"
                )));
            }
            periods.push(Period {
                duration_ms: (time - before) * 1000.0,
                bandwidth_kbps: mbps * 1000.0,
                latency_ms: TEXT_LATENCY_MS,
            });
        }
        previous = Some(time);
    }
    if periods.is_empty() {
        return Err(
            "a time / throughput trace needs two lines or more (a line's throughput \
                    covers the time since the line before)"
                .into(),
        );
    }
    Ok(periods)
}

/// Mahimahi packet-delivery timestamps, counted in bins of [`MAHIMAHI_BIN_MS`].
fn mahimahi(text: &str) -> std::result::Result<Vec<Period>, String> {
    // The bins that hold packets, in order: (bin, packets).
    let mut bins: Vec<(u64, u64)> = Vec::new();
    let mut last: Option<u64> = None;
    // Packets at the last timestamp read so far.
    let mut at_last = 0;
    for (no, line) in data_lines(text) {
        let mut f = fields(line);
        let ms = match (f.next(), f.next()) {
            (Some(ms), None) => ms.parse::<u64>().ok(),
            _ => None,
        };
        let Some(ms) = ms else {
            return Err(format!(
                "line {no}: expected one whole number of milliseconds, found `{}`",
                shown(line)
            ));
        };
        match last {
            Some(before) if ms < before => {
                return Err(format!(
                    "line {no}: timestamp {ms} ms is before the line before's {before} ms"
                ));
            }
            Some(before) if ms == before => at_last += 1,
            _ => at_last = 1,
        }
        last = Some(ms);
        let bin = ms / MAHIMAHI_BIN_MS;
        match bins.last_mut() {
            Some((b, n)) if *b == bin => *n += 1,
            _ => bins.push((bin, 1)),
        }
    }
    let length = last.unwrap_or(0);
    if length == 0 {
        return Err("the trace lasts no time (its last timestamp is 0 ms)".into());
    }
    // The trace repeats every `length` ms: a packet at `length` is one at 0 of the next loop.
    if let Some((_, n)) = bins.last_mut() {
        *n -= at_last;
        if *n == 0 {
            bins.pop();
        }
    }
    match bins.first_mut() {
        Some((0, n)) => *n += at_last,
        _ => bins.insert(0, (0, at_last)),
    }
    let mut periods: Vec<Period> = Vec::new();
    let mut push = |duration_ms: u64, packets: u64| {
        let duration_ms = duration_ms as f64;
        let bandwidth_kbps = (packets * PACKET_BITS) as f64 / duration_ms;
        match periods.last_mut() {
            Some(p) if p.bandwidth_kbps == bandwidth_kbps => p.duration_ms += duration_ms,
            _ => periods.push(Period {
                duration_ms,
                bandwidth_kbps,
                latency_ms: TEXT_LATENCY_MS,
            }),
        }
    };
    // Every bin holds a timestamp below `length`, so it starts before the trace's end.
    let mut next = 0;
    for (bin, packets) in bins {
        if bin > next {
            push((bin - next) * MAHIMAHI_BIN_MS, 0);
        }
        let start = bin * MAHIMAHI_BIN_MS;
        push(MAHIMAHI_BIN_MS.min(length - start), packets);
        next = bin + 1;
    }
    let end = next * MAHIMAHI_BIN_MS;
    if end < length {
        push(length - end, 0);
    }
    Ok(periods)
}
