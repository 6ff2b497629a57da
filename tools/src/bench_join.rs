//! `bench --only join`: the join endpoint's throughput for legitimate players while hostile
//! clients hold slow connections open (request headers that never finish, declared bodies
//! never sent, silent sockets), all on loopback with the server's real HTTP stack.

use emberkeep_server::http::{HttpLimits, Route, spawn};
use emberkeep_server::seats::{Directory, JoinTarget, new_code};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(5))?;
    Ok(socket.into())
}

/// Runs `requests` joins one after another from 127.0.0.1 while `slow` connections from
/// 127.0.1.x are held open; prints requests/s and latency median/p99.
pub fn join_under_slow_connections(slow: usize, requests: usize) -> anyhow::Result<()> {
    let directory = Directory::default();
    let code = new_code();
    {
        let mut dir = directory.0.write().expect("fresh lock");
        dir.codes.insert(
            code.clone(),
            JoinTarget {
                campaign: "table-1".into(),
                seat: "fighter".into(),
                seat_id: 7,
            },
        );
        dir.udp_port = Some(5888);
    }
    let server = spawn(
        "127.0.0.1:0".parse()?,
        vec![Route {
            directory,
            key: [7u8; 32],
        }],
        None,
        HttpLimits::default(),
        emberkeep_server::metrics::Metrics::default(),
    )
    .map_err(anyhow::Error::msg)?;
    let mut held = Vec::new();
    for i in 0..slow {
        let from = IpAddr::from([127, 0, 1, (i / 25) as u8 + 1]);
        let mut c = connect_from(from, server.bound)?;
        let partial: &[u8] = match i % 3 {
            0 => b"GET /api/join?code=AAAA-AAAA HTTP/1.1\r\nHost: x\r\nUser-Ag",
            1 => b"GET /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
            _ => b"",
        };
        c.write_all(partial)?;
        held.push(c);
    }
    let request = format!(
        "GET /api/join?code={code} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut samples = Vec::with_capacity(requests);
    let mut failed = 0;
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        let ok = (|| -> std::io::Result<bool> {
            let mut s = TcpStream::connect(server.bound)?;
            s.write_all(request.as_bytes())?;
            let mut reply = Vec::new();
            s.read_to_end(&mut reply)?;
            Ok(reply.starts_with(b"HTTP/1.1 200"))
        })()
        .unwrap_or(false);
        if !ok {
            failed += 1;
        }
        samples.push(t.elapsed());
    }
    let total = started.elapsed();
    println!(
        "join endpoint with {slow} slow connections open: {:.0} joins/s ({requests} sequential, {failed} failed)",
        requests as f64 / total.as_secs_f64()
    );
    println!("  {}", crate::bench::summary("join latency", &mut samples));
    drop(held);
    Ok(())
}
