# The dedicated server's image: only the server binary, the shipped content and a data folder,
# run as an unprivileged user. Build: `docker build -t emberkeep-server .` (see
# deploy/agones/README.md). What the image holds is laid out by scripts/container-tree.sh, and
# server/tests/container.rs runs the server from that tree with this file's ENTRYPOINT, CMD,
# ENV and USER, so what is tested is what ships.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang mold \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p emberkeep-server \
    && BIN=target/release/emberkeep-server scripts/container-tree.sh /out 10001

FROM debian:bookworm-slim
COPY --from=build /out/ /
USER 10001:10001
WORKDIR /opt/emberkeep
ENV RUST_LOG=info
# udp: native clients; ws: browsers; http: join codes; metrics: Prometheus (in-cluster only).
EXPOSE 5888/udp 5889/tcp 5890/tcp 9100/tcp
ENTRYPOINT ["/opt/emberkeep/bin/emberkeep-server"]
CMD ["--agones", "--campaigns", "0", "--data-dir", "/var/lib/emberkeep", "--assets", "/opt/emberkeep/assets", "--udp-port", "5888", "--ws-port", "5889", "--http-port", "5890", "--metrics", "0.0.0.0:9100", "--no-watch", "--agones-health", "2"]
