//! A language model on 127.0.0.1 for tests: a real HTTP/1.1 server speaking the OpenAI
//! chat-completions and Anthropic Messages streaming formats (server-sent events), scripted to
//! answer normally, refuse (429 with any `Retry-After`, 500), stall, answer late, trickle
//! forever, or cut a stream off.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Stream these pieces of text (`{now}` in a piece becomes the time it is written, in ns
    /// since the Unix epoch), then finish properly.
    Text(Vec<String>),
    /// Answer with an HTTP error status (and a `Retry-After: 0` for 429).
    Status(u16),
    /// Answer 429 with this `Retry-After` value, verbatim.
    RateLimited(String),
    /// Say nothing at all (not even headers) for this long, then give this answer.
    Late(Duration, Box<Answer>),
    /// Send this piece every so often, forever (until the client hangs up).
    Trickle(String, Duration),
    /// Send the headers, then say nothing for this long.
    Stall(Duration),
    /// Stream these pieces, then close the connection without finishing.
    CutOff(Vec<String>),
}

/// Which format to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI-compatible chat completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

/// The fake model.
pub struct FakeModel {
    /// Base URL to configure (`http://127.0.0.1:PORT/v1`).
    pub base_url: String,
    /// Requests received (bodies).
    pub requests: Arc<Mutex<Vec<String>>>,
    /// How many requests were received.
    pub count: Arc<AtomicUsize>,
    /// When each request (in `requests`' order) had been read.
    pub arrivals: Arc<Mutex<Vec<Instant>>>,
}

type Script = Arc<dyn Fn(usize, &str) -> Answer + Send + Sync>;

impl FakeModel {
    /// Starts the server; `script(n, body)` decides the answer to the n-th request (from 0).
    pub fn start(
        format: Format,
        script: impl Fn(usize, &str) -> Answer + Send + Sync + 'static,
    ) -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let seen = Seen {
            requests: requests.clone(),
            count: count.clone(),
            arrivals: arrivals.clone(),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, script) = (seen.clone(), script.clone());
                std::thread::spawn(move || serve(stream, format, &seen, &script));
            }
        });
        FakeModel {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            requests,
            count,
            arrivals,
        }
    }
}

/// One server-sent event carrying a piece of text.
fn text_event(format: Format, piece: &str) -> String {
    let text = serde_json::to_string(piece).unwrap();
    match format {
        Format::OpenAi => {
            format!("data: {{\"choices\":[{{\"delta\":{{\"content\":{text}}}}}]}}\n\n")
        }
        Format::Anthropic => format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"delta\":{{\"type\":\"text_delta\",\"text\":{text}}}}}\n\n"
        ),
    }
}

/// What the server records of the requests it reads.
#[derive(Clone)]
struct Seen {
    requests: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

fn serve(mut stream: TcpStream, format: Format, seen: &Seen, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).to_string();
    let n = {
        // One lock for both lists, so they stay in the same order.
        let mut requests = seen.requests.lock().unwrap();
        requests.push(body.clone());
        seen.arrivals.lock().unwrap().push(Instant::now());
        seen.count.fetch_add(1, Ordering::SeqCst)
    };
    let mut answer = script(n, &body);
    while let Answer::Late(delay, then) = answer {
        std::thread::sleep(delay);
        answer = *then;
    }
    let head = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/event-stream\r\nConnection: close\r\n{extra}\r\n"
        )
    };
    match answer {
        Answer::Late(..) => unreachable!("waited for above"),
        Answer::Status(_) | Answer::RateLimited(_) => {
            let (status, extra) = match &answer {
                Answer::Status(429) => (429, "Retry-After: 0\r\n".to_string()),
                Answer::Status(s) => (*s, String::new()),
                Answer::RateLimited(after) => (429, format!("Retry-After: {after}\r\n")),
                _ => unreachable!(),
            };
            let body = r#"{"error":{"message":"scripted failure"}}"#;
            let _ = write!(
                stream,
                "{}",
                head(
                    status,
                    &format!("{extra}Content-Length: {}\r\n", body.len())
                )
                .replace("text/event-stream", "application/json")
            );
            let _ = stream.write_all(body.as_bytes());
        }
        Answer::Trickle(piece, every) => {
            let _ = write!(stream, "{}", head(200, ""));
            loop {
                let event = text_event(format, &piece);
                if stream.write_all(event.as_bytes()).is_err() || stream.flush().is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        }
        Answer::Stall(d) => {
            let _ = write!(stream, "{}", head(200, ""));
            let _ = stream.flush();
            std::thread::sleep(d);
        }
        answer @ (Answer::Text(_) | Answer::CutOff(_)) => {
            let (Answer::Text(pieces) | Answer::CutOff(pieces)) = &answer else {
                unreachable!()
            };
            let _ = write!(stream, "{}", head(200, ""));
            if format == Format::Anthropic {
                let _ = write!(
                    stream,
                    "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"usage\":{{\"input_tokens\":50}}}}}}\n\n"
                );
            }
            for p in pieces {
                // `{now}` becomes the moment the piece is written (for latency figures).
                let now = std::time::UNIX_EPOCH
                    .elapsed()
                    .unwrap()
                    .as_nanos()
                    .to_string();
                let event = text_event(format, &p.replace("{now}", &now));
                let _ = stream.write_all(event.as_bytes());
                let _ = stream.flush();
                std::thread::sleep(Duration::from_millis(2));
            }
            let finished = matches!(answer, Answer::Text(_));
            if finished {
                let tail = match format {
                    Format::OpenAi => "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20}}\n\ndata: [DONE]\n\n".to_string(),
                    Format::Anthropic => "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":20}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".to_string(),
                };
                let _ = stream.write_all(tail.as_bytes());
            }
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
