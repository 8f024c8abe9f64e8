# partybot — a static binary on a distroless base: no shell, non-root,
# CA certificates (HTTPS to qyapi.weixin.qq.com) and tzdata included (the
# binary embeds the time zone database as well).
#   docker build -t partybot:latest --build-arg VERSION=$(git describe --tags --always) .

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/partybot ./cmd/partybot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/partybot /partybot
USER nonroot:nonroot
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["/partybot", "healthcheck", "-url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/partybot"]
CMD ["serve", "-config", "/etc/partybot/config.yaml"]
