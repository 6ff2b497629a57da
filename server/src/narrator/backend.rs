//! Language-model backends speaking their real wire formats: OpenAI-compatible chat
//! completions (OpenAI, Ollama, llama.cpp server, vLLM) and Anthropic's Messages API, both
//! streamed as server-sent events. Timeouts, retries with backoff on 429/5xx (honouring
//! `Retry-After`), and cut-off streams are handled here; the caller decides what to fall back on.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Which wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `POST {base}/chat/completions`.
    OpenAi,
    /// `POST {base}/messages`.
    Anthropic,
}

impl Wire {
    /// A short name (`openai`, `anthropic`).
    pub fn name(self) -> &'static str {
        match self {
            Wire::OpenAi => "openai",
            Wire::Anthropic => "anthropic",
        }
    }
}

/// A model endpoint.
#[derive(Clone)]
pub struct ModelConfig {
    /// Wire format.
    pub wire: Wire,
    /// Base URL, e.g. `http://127.0.0.1:11434/v1` or `https://api.anthropic.com/v1`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key (never logged or shown).
    pub api_key: Option<String>,
    /// Longest wait for the response to start, and between two pieces of it.
    pub stall_timeout: Duration,
    /// Longest a whole answer may take.
    pub total_timeout: Duration,
    /// Retries after a 429 or 5xx.
    pub retries: u32,
    /// Output token cap per answer.
    pub max_tokens: u32,
}

impl std::fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelConfig")
            .field("wire", &self.wire)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// Tokens used by one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens.
    pub input: u64,
    /// Answer tokens.
    pub output: u64,
}

/// Why an answer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// No answer started or continued in time.
    Timeout,
    /// The stream ended before the model said it was done (text so far is kept by the caller).
    CutOff,
    /// 429 / 5xx after every retry.
    Unavailable(u16),
    /// Another HTTP error (bad key, bad model...).
    Http(u16, String),
    /// Could not connect.
    Connect(String),
    /// The model answered something unreadable.
    Protocol(String),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Timeout => write!(f, "the model did not answer in time"),
            ModelError::CutOff => write!(f, "the model's answer was cut off"),
            ModelError::Unavailable(s) => write!(f, "the model is unavailable (HTTP {s})"),
            ModelError::Http(s, m) => write!(f, "the model refused the request (HTTP {s}): {m}"),
            ModelError::Connect(m) => write!(f, "cannot reach the model: {m}"),
            ModelError::Protocol(m) => write!(f, "unreadable answer from the model: {m}"),
        }
    }
}

/// Streams one answer: each piece of text goes to `chunks` as it arrives. Returns the token
/// usage, or the error (text already sent stays sent).
pub async fn stream(
    client: &reqwest::Client,
    cfg: &ModelConfig,
    system: &str,
    user: &str,
    chunks: &UnboundedSender<String>,
) -> Result<Usage, ModelError> {
    let deadline = tokio::time::Instant::now() + cfg.total_timeout;
    let mut attempt = 0;
    loop {
        match tokio::time::timeout_at(
            deadline,
            attempt_once(client, cfg, system, user, chunks, deadline),
        )
        .await
        {
            Err(_) => return Err(ModelError::Timeout),
            Ok(Ok(usage)) => return Ok(usage),
            Ok(Err(Failure::Retry(status, after))) if attempt < cfg.retries => {
                attempt += 1;
                // `after` is already parsed defensively and clamped (see `retry_after`).
                let backoff = after.unwrap_or(Duration::from_millis(
                    250u64.saturating_mul(1 << attempt.min(6)),
                ));
                if tokio::time::Instant::now() + backoff >= deadline {
                    return Err(ModelError::Unavailable(status));
                }
                tokio::time::sleep(backoff).await;
            }
            Ok(Err(Failure::Retry(status, _))) => return Err(ModelError::Unavailable(status)),
            Ok(Err(Failure::Fatal(e))) => return Err(e),
        }
    }
}

enum Failure {
    Retry(u16, Option<Duration>),
    Fatal(ModelError),
}

async fn attempt_once(
    client: &reqwest::Client,
    cfg: &ModelConfig,
    system: &str,
    user: &str,
    chunks: &UnboundedSender<String>,
    deadline: tokio::time::Instant,
) -> Result<Usage, Failure> {
    let base = cfg.base_url.trim_end_matches('/');
    let request = match cfg.wire {
        Wire::OpenAi => {
            let mut r = client
                .post(format!("{base}/chat/completions"))
                .json(&json!({
                    "model": cfg.model,
                    "stream": true,
                    "stream_options": { "include_usage": true },
                    "max_tokens": cfg.max_tokens,
                    "messages": [
                        { "role": "system", "content": system },
                        { "role": "user", "content": user },
                    ],
                }));
            if let Some(key) = &cfg.api_key {
                r = r.bearer_auth(key);
            }
            r
        }
        Wire::Anthropic => {
            let mut r = client
                .post(format!("{base}/messages"))
                .header("anthropic-version", "2023-06-01")
                .json(&json!({
                    "model": cfg.model,
                    "stream": true,
                    "max_tokens": cfg.max_tokens,
                    "system": system,
                    "messages": [{ "role": "user", "content": user }],
                }));
            if let Some(key) = &cfg.api_key {
                r = r.header("x-api-key", key);
            }
            r
        }
    };
    let stall = cfg.stall_timeout;
    let response = match tokio::time::timeout(stall, request.send()).await {
        Err(_) => return Err(Failure::Fatal(ModelError::Timeout)),
        Ok(Err(e)) => return Err(Failure::Fatal(ModelError::Connect(without_url(&e)))),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    if status == 429 || status >= 500 {
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, std::time::SystemTime::now()));
        return Err(Failure::Retry(status, after));
    }
    if status != 200 {
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .unwrap_or_else(|| body.chars().take(200).collect());
        return Err(Failure::Fatal(ModelError::Http(status, message)));
    }
    let mut body = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut usage = Usage::default();
    loop {
        let next = match tokio::time::timeout(
            stall.min(deadline.saturating_duration_since(tokio::time::Instant::now())),
            body.next(),
        )
        .await
        {
            Err(_) => return Err(Failure::Fatal(ModelError::Timeout)),
            Ok(None) => return Err(Failure::Fatal(ModelError::CutOff)),
            Ok(Some(Err(_))) => return Err(Failure::Fatal(ModelError::CutOff)),
            Ok(Some(Ok(bytes))) => bytes,
        };
        buffer.extend_from_slice(&next);
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let Some(data) = line.trim_end().strip_prefix("data:") else {
                continue;
            };
            let data = data.trim();
            if data == "[DONE]" {
                return Ok(usage);
            }
            let Ok(v) = serde_json::from_str::<Value>(data) else {
                return Err(Failure::Fatal(ModelError::Protocol(
                    "an event is not JSON".into(),
                )));
            };
            match cfg.wire {
                Wire::OpenAi => {
                    if let Some(text) = v
                        .pointer("/choices/0/delta/content")
                        .and_then(Value::as_str)
                        && !text.is_empty()
                    {
                        let _ = chunks.send(text.to_string());
                    }
                    if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
                        usage.input = u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0);
                        usage.output = u
                            .get("completion_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                    }
                }
                Wire::Anthropic => match v.get("type").and_then(Value::as_str) {
                    Some("message_start") => {
                        usage.input = v
                            .pointer("/message/usage/input_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                    }
                    Some("content_block_delta") => {
                        if let Some(text) = v.pointer("/delta/text").and_then(Value::as_str) {
                            let _ = chunks.send(text.to_string());
                        }
                    }
                    Some("message_delta") => {
                        usage.output = v
                            .pointer("/usage/output_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(usage.output);
                    }
                    Some("message_stop") => return Ok(usage),
                    Some("error") => {
                        let kind = v
                            .pointer("/error/type")
                            .and_then(Value::as_str)
                            .unwrap_or("error");
                        if kind == "overloaded_error" || kind == "rate_limit_error" {
                            return Err(Failure::Retry(529, None));
                        }
                        return Err(Failure::Fatal(ModelError::Protocol(kind.to_string())));
                    }
                    _ => {}
                },
            }
        }
    }
}

/// Describes a transport error without its URL (which could carry a key in a query string).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or unreachable".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        "request failed".into()
    }
}

/// The longest `Retry-After` honoured; a longer one is clamped to this (and then usually found
/// to reach past the answer's deadline, so the call gives up at once).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Reads a `Retry-After` value defensively: whole seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, measured from `now`). Garbage (negative, fractional,
/// NaN, exponents, unreadable dates) gives `None` — the caller's own backoff then applies;
/// anything longer than [`MAX_RETRY_AFTER`] is clamped to it. Never panics.
pub fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only, so the only parse failure is overflow: a huge number is clamped.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = http_date(value)?;
    let at = std::time::UNIX_EPOCH.checked_add(Duration::from_secs(at))?;
    // A date in the past means "now".
    let wait = at.duration_since(now).unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Seconds since the Unix epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// only HTTP date format senders may produce today.
fn http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    let weekday = parts.next()?;
    if !weekday.ends_with(',') {
        return None;
    }
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: u64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = clock.split(':').map(|x| x.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(1970..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), for years from 1970.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_takes_whole_seconds_and_clamps_them() {
        let now = SystemTime::now();
        assert_eq!(retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("99999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("99999999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn retry_after_ignores_garbage() {
        let now = SystemTime::now();
        for v in [
            "-1",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "1.5",
            "",
            "  ",
            "soon",
            "+3",
            "0x10",
            "Wed, 21 Oct 2015 07:28:00",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 25:28:00 GMT",
        ] {
            assert_eq!(retry_after(v, now), None, "{v:?}");
        }
    }

    #[test]
    fn retry_after_reads_http_dates() {
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(http_date(date), Some(1_445_412_480));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(
            retry_after(date, at(1_445_412_480 - 5)),
            Some(Duration::from_secs(5))
        );
        // In the past: now. Far ahead: clamped.
        assert_eq!(
            retry_after(date, at(1_445_412_480 + 5)),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(date, at(0)), Some(MAX_RETRY_AFTER));
    }
}
