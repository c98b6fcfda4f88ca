# syntax=docker/dockerfile:1
#
# ssetap in a container image, laid out as the Debian package is: the
# binary at /usr/bin/ssetap, run as the non-root user ssetap (uid and gid
# 65532, the runAsUser of contrib/kubernetes/ssetap.yaml), with the CA
# certificates TLS verification needs. The man page and completions are
# left out (no man or shell in use there; ssetap --generate prints them).
#
#   docker build -t ssetap:0.1.0 .
#   docker run --rm ssetap:0.1.0 https://stream.wikimedia.org/v2/stream/recentchange -n 3
#
# Not built by the project's CI: its machines have no container daemon.

# The toolchain the project is developed and tested with; the C parts
# (librdkafka, zstd) build with the image's gcc, make and libssl-dev.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The dist profile: release without debug info, stripped. The caches keep
# the registry and the build between image builds; the binary is copied
# out of the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist \
    && install -D -m 755 target/dist/ssetap /out/usr/bin/ssetap \
    && /out/usr/bin/ssetap --version

FROM debian:bookworm-slim
# libssl3 and zlib1g are what the binary links (librdkafka's TLS and
# compression); ca-certificates is the trust store ssetap and librdkafka
# verify against.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 ssetap \
    && useradd --system --uid 65532 --gid ssetap --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin ssetap
COPY --from=build /out/ /
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# ssetap handles SIGTERM itself (writes or delivers what it parsed, saves
# its state, exits 143), also as PID 1.
ENTRYPOINT ["/usr/bin/ssetap"]
CMD ["--help"]
