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
                let backoff = after
                    .unwrap_or(Duration::from_millis(250 << attempt))
                    .min(Duration::from_secs(10));
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
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(Duration::from_secs_f64);
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
